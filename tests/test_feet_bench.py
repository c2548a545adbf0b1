"""The one-versus-two-insoles benchmark on the fake clock (exact timing, no host noise)."""

from __future__ import annotations

import pytest

from firmware.cli import main
from firmware.feet_bench import format_feet_rate, run_feet_rate


def test_two_insoles_convert_at_the_same_time() -> None:
    description, result = run_feet_rate("emulated", 860, seconds=0.5, fake_clock=True)
    assert "0x48" in description
    assert "0x49" in description
    assert 0 < result.one_hz <= result.one_limit_hz
    assert 0 < result.two_hz <= result.two_limit_hz
    # Read one after the other, a pair would take twice a chip's scan (ratio 0.5).
    assert result.two_hz / result.one_hz > 0.7
    assert result.two_hz > 100.0  # the service's paced rate fits (exact timing)
    table = format_feet_rate(description, result, fake_clock=True)
    assert "| 2 | 860 | 286.7 |" in table


def test_bench_command_prints_the_two_insole_table(capsys: pytest.CaptureFixture[str]) -> None:
    main(["bench", "--backend", "emulated", "--rates", "860", "--seconds", "0.3",
          "--fake-clock", "--feet"])
    out = capsys.readouterr().out
    assert "Two insoles:" in out
    assert "| 1 | 860 | 286.7 |" in out
