"""The domain package must stay pure: no hardware, web or firmware imports."""

import subprocess
import sys

FORBIDDEN = (
    "firmware",
    "dashboard",
    "gpiozero",
    "flask",
    "werkzeug",
    "board",
    "busio",
    "adafruit_ads1x15",
    "adafruit_blinka",
    "waitress",
)


def test_insole_imports_nothing_from_other_layers() -> None:
    code = (
        "import sys, pkgutil, importlib, insole\n"
        "for m in pkgutil.walk_packages(insole.__path__, 'insole.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    loaded_roots = {name.split(".")[0] for name in out}
    assert "insole" in loaded_roots
    bad = sorted(loaded_roots.intersection(FORBIDDEN))
    assert not bad, f"insole imported {bad}"


def test_firmware_cli_imports_without_hardware() -> None:
    out = subprocess.run(
        [sys.executable, "-c", "import firmware.cli, sys; print('board' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert out == "False"
