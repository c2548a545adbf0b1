"""The one benchmark command keeps working: every figure row, a report written (not timed)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from benchmarks import all as bench
from benchmarks.__main__ import main

REPO = Path(__file__).resolve().parents[1]


def test_quick_run_measures_every_figure_and_writes_the_report(tmp_path: Path) -> None:
    output = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--output", str(output)],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # 0: every target met; 1: some missed (a quick run on a busy machine may); 2 would mean
    # a measurement could not run at all.
    assert done.returncode in (0, 1), done.stdout + done.stderr
    table = done.stdout.split("\n\n")[-2]
    report = output.read_text()
    for measurement in bench.MEASUREMENTS:
        for row in measurement.rows:
            lines = [line for line in table.splitlines() if line.startswith(row.label)]
            assert len(lines) == 1, (row.label, table)
            assert lines[0].rstrip().endswith(("PASS", "FAIL", "-")), lines[0]
            assert "not measured" not in lines[0], lines[0]
            assert "error:" not in lines[0], lines[0]
            assert f"| {row.label.replace('|', chr(92) + '|')} |" in report
        assert f"## {measurement.title}" in report
    for key in ("CPU", "cores", "RAM", "Python", "numpy", "OS"):
        assert f"| {key} | " in report
    assert "python -m benchmarks --quick --output" in report
    assert "load average" in report


def test_a_measurement_that_breaks_still_fills_its_rows() -> None:
    def broken(quick: bool) -> bench.Outcome:
        raise RuntimeError("the emulated bus is gone\ntraceback detail\nlast word")

    rows = (bench.Row("x.a", "figure a", "<= 1"), bench.Row("x.b", "figure b"))
    measurement = bench.Measurement("x", "X", rows, broken, "method")
    outcome = bench.run_measurement(measurement, quick=True)
    assert set(outcome.results) == {"x.a", "x.b"}
    for result in outcome.results.values():
        assert result.passed is False
        assert result.value == "error: RuntimeError: the emulated bus is gone ... last word"
    report = bench.Report("cmd", True, datetime.now(UTC), bench.machine(), "0 / 0 / 0")
    report.outcomes.append((measurement, outcome))
    assert report.failed == ["x.a", "x.b"]
    text = bench.format_markdown(report)
    assert "Not measured: error: RuntimeError" in text
    assert "traceback detail" in text  # the whole traceback is kept for whoever reads it


def test_unknown_measurement_names_are_refused_with_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "core,nonsense"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unknown measurement nonsense" in err
    assert ", ".join(bench.NAMES) in err
