import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.cli import main
from insole.recording_csv import write_recording
from tests.scripted import BIG_TOE_UP, HOLD, REST, scripted


@pytest.fixture
def session_csv(tmp_path: Path) -> Path:
    path = tmp_path / "session.csv"
    write_recording(
        path,
        scripted(
            [
                (2, REST),
                (9, HOLD),
                (3, REST),
                (5, HOLD),
                (3, REST),
                (4, HOLD),
                (0.2, BIG_TOE_UP),
                (6, HOLD),
                (2, REST),
            ]
        ),
    )
    return path


def test_json_output(session_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(session_csv), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [h["outcome"] for h in doc["holds"]] == ["correct", "short", "correct"]
    assert (doc["correct"], doc["short"]) == (2, 1)
    assert doc["holds"][2]["wobbles"] == 1
    assert doc["settings"]["hold_target_s"] == 8.0
    for key in ("start_s", "end_s", "duration_s", "outcome", "score", "cop_rms_mm"):
        assert key in doc["holds"][0]


def test_options_change_the_rule(session_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(session_csv), "--json", "--hold-target", "3", "--grace", "0"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [h["outcome"] for h in doc["holds"]] == ["correct"] * 4
    assert (
        main(
            [
                "analyze",
                str(session_csv),
                "--json",
                "--target",
                "0.45,0.2,0.35",
                "--tolerance",
                "0.05",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["settings"]["personal_target"] == [0.45, 0.2, 0.35]


def test_table_output(session_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["analyze", str(session_csv)]) == 0
    out = capsys.readouterr().out
    assert "2 correct, 1 short of 3 holds" in out
    assert out.count("correct ") == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--hold-target", "0"], "hold_target_s: must be a number from 1 to 120"),
        (["--target", "0.5,0.5"], "personal_target"),
        (["--target", "a,b,c"], "personal_target"),
    ],
)
def test_bad_options_exit_2_with_a_message(
    session_csv: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["analyze", str(session_csv), *argv]) == 2
    assert message in capsys.readouterr().err


def test_broken_file_names_the_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("time_s,heel_n,little_toe_n,big_toe_n\n0.0,1,2,3\n0.01,1,x,3\n")
    assert main(["analyze", str(bad)]) == 2
    assert "line 3" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv" in capsys.readouterr().err


def test_progress_bar_only_on_a_terminal(session_csv: Path) -> None:
    cmd = [sys.executable, "-m", "firmware.cli", "analyze", str(session_csv)]
    piped = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "analysing" not in piped.stderr
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=terminal, check=True)
        seen = os.read(controller, 65536).decode()
    finally:
        os.close(controller)
        os.close(terminal)
    assert "analysing [" in seen
    assert "100%" in seen
    assert b"2 correct" in proc.stdout
