"""The Pi install path: install.sh (shellcheck, dry run) and the systemd unit (verify, keys).

shellcheck and systemd-analyze are system tools: without them these tests skip, unless
INSOLE_REQUIRE_TOOLS=1 (set in CI, which installs both) turns the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.doctor import DATA_DIR_ENV
from firmware.realtime import SAMPLER_PRIORITY

PI_DIR = Path(__file__).resolve().parent.parent / "firmware" / "pi"
INSTALL = PI_DIR / "install.sh"
UNIT = PI_DIR / "insole-monitor.service"


def tool(name: str) -> str:
    """Path of a system tool, or skip (fail under INSOLE_REQUIRE_TOOLS=1) when absent."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (apt-get install {name_to_package(name)})"
        if os.environ.get("INSOLE_REQUIRE_TOOLS") == "1":
            pytest.fail(f"INSOLE_REQUIRE_TOOLS=1 but {message}")
        pytest.skip(message)
    return path


def name_to_package(name: str) -> str:
    return {"systemd-analyze": "systemd"}.get(name, name)


def run_install(*args: str, prefix: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "INSOLE_PREFIX"}
    if prefix is not None:
        env["INSOLE_PREFIX"] = str(prefix)
    return subprocess.run(
        ["bash", str(INSTALL), *args], capture_output=True, text=True, env=env, timeout=60,
        check=False,
    )


def unit_entries(text: str) -> list[tuple[str, str, str]]:
    """(section, key, value) for every assignment; systemd allows repeated keys."""
    entries = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def values(entries: list[tuple[str, str, str]], section: str, key: str) -> list[str]:
    return [v for s, k, v in entries if s == section and k == key]


# -- install.sh -------------------------------------------------------------------------


def test_install_script_passes_shellcheck() -> None:
    result = subprocess.run(
        [tool("shellcheck"), "--shell=bash", "--severity=style", str(INSTALL)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_install_script_is_strict_and_executable() -> None:
    text = INSTALL.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    assert os.access(INSTALL, os.X_OK)


def test_dry_run_plans_every_step_and_changes_nothing(tmp_path: Path) -> None:
    prefix = tmp_path / "opt"
    result = run_install("--dry-run", prefix=prefix)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    planned = [line[2:] for line in out.splitlines() if line.startswith("+ ")]
    assert f"python3 -m venv --system-site-packages {prefix}/venv" in planned
    assert "usermod --append --groups i2c,gpio insole" in planned
    assert "systemctl enable insole-monitor.service" in planned
    assert "systemctl restart insole-monitor.service" in planned
    assert any(p.endswith("/etc/systemd/system/insole-monitor.service") for p in planned) or (
        "systemd unit is up to date" in out
    )
    assert any(" -m pip install --quiet --no-deps --force-reinstall " in p for p in planned)
    if shutil.which("raspi-config") is None:
        assert "enable I2C yourself" in result.stderr
    assert f"http://{socket.gethostname()}.local:5000" in out
    assert not prefix.exists()  # nothing was created


def test_dry_run_without_start_does_not_restart(tmp_path: Path) -> None:
    result = run_install("--dry-run", "--no-start", "--no-apt", prefix=tmp_path / "opt")
    assert result.returncode == 0, result.stderr
    assert "systemctl restart" not in result.stdout
    assert "apt-get" not in result.stdout.replace("skipping apt-get", "")


@pytest.mark.parametrize(("site_packages", "expected"), [
    (True, "exists"), (False, "rebuilding"),
])
def test_existing_venv_is_reused_only_with_system_site_packages(
    tmp_path: Path, site_packages: bool, expected: str
) -> None:
    venv = tmp_path / "opt" / "venv"
    args = [sys.executable, "-m", "venv", "--without-pip", str(venv)]
    if site_packages:
        args.insert(3, "--system-site-packages")
    subprocess.run(args, check=True, timeout=60)
    result = run_install("--dry-run", "--no-apt", prefix=tmp_path / "opt")
    assert result.returncode == 0, result.stderr
    assert str(venv) in result.stdout
    assert expected in result.stdout
    assert venv.exists()  # a dry run removes nothing either


def test_unknown_option_is_rejected() -> None:
    result = run_install("--frobnicate")
    assert result.returncode == 2
    assert "--dry-run" in result.stderr


def test_relative_prefix_is_rejected() -> None:
    result = run_install("--print-unit", prefix=Path("relative/dir"))
    assert result.returncode == 1
    assert "absolute" in result.stderr


# -- the systemd unit -------------------------------------------------------------------


def test_unit_runs_the_service_unprivileged_with_the_right_devices() -> None:
    entries = unit_entries(UNIT.read_text())
    service = "Service"
    assert values(entries, service, "User") == ["insole"]
    assert values(entries, service, "Group") == ["insole"]
    assert set(values(entries, service, "SupplementaryGroups")[0].split()) == {"i2c", "gpio"}
    assert values(entries, service, "Restart") == ["on-failure"]
    assert values(entries, service, "ExecStart") == [
        "/opt/insole-monitor/venv/bin/insole-monitor serve --host 0.0.0.0"
    ]
    # Data: the StateDirectory systemd creates is the one the program is told to use.
    state = values(entries, service, "StateDirectory")
    assert state == ["insole-monitor"]
    assert f"{DATA_DIR_ENV}=/var/lib/insole-monitor" in values(entries, service, "Environment")
    # lgpio needs a writable working directory for its notification pipes.
    runtime = values(entries, service, "RuntimeDirectory")
    assert values(entries, service, "WorkingDirectory") == [f"/run/{runtime[0]}"]
    # Clean shutdown: SIGTERM first, with time to flush before SIGKILL.
    assert values(entries, service, "KillSignal") == ["SIGTERM"]
    assert float(values(entries, service, "TimeoutStopSec")[0]) >= 10
    # Hardening must leave the I2C bus and the GPIO chips reachable.
    assert values(entries, service, "PrivateDevices") in ([], ["no"])
    allowed = values(entries, service, "DeviceAllow")
    assert "char-i2c rw" in allowed
    assert "char-gpiochip rw" in allowed
    assert values(entries, service, "NoNewPrivileges") == ["yes"]
    assert values(entries, "Install", "WantedBy") == ["multi-user.target"]
    # The sampler's real-time priority is allowed, and no more than it asks for.
    assert values(entries, service, "LimitRTPRIO") == [str(SAMPLER_PRIORITY)]
    assert values(entries, service, "RestrictRealtime") in ([], ["no"])


def test_rendered_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    # verify insists that ExecStart's binary exists and is executable, so the unit is
    # rendered exactly as install.sh would for a prefix under tmp_path, where a stand-in
    # executable takes the place of the venv's console script.
    prefix = tmp_path / "opt"
    rendered = run_install("--print-unit", prefix=prefix)
    assert rendered.returncode == 0, rendered.stderr
    binary = prefix / "venv" / "bin" / "insole-monitor"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\nexit 0\n")
    binary.chmod(0o755)
    assert f"ExecStart={binary} serve --host 0.0.0.0" in rendered.stdout
    unit = tmp_path / "insole-monitor.service"
    unit.write_text(rendered.stdout)
    result = subprocess.run(
        [analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60,
        check=False, cwd=tmp_path,
    )
    problems = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 0, problems
    assert problems == []


def test_unit_command_line_is_one_the_cli_accepts() -> None:
    from firmware.cli import build_parser

    exec_start = values(unit_entries(UNIT.read_text()), "Service", "ExecStart")[0]
    program, *argv = exec_start.split()
    assert program.endswith("/bin/insole-monitor")
    args = build_parser().parse_args(argv)
    assert args.command == "serve"
    assert args.host == "0.0.0.0"
    assert args.port == 5000  # the port install.sh prints in the dashboard URL
