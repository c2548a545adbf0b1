"""Two insoles against one: the sampler's scan rate and CPU at one data rate.

Both run the sampler at full speed (``rate_hz=None``) with single-shot scans (the only
strategy for two chips, see ``firmware.feet_adc``): one insole (three conversions per
scan) and two insoles on one bus (six conversions, one time stamp). The two chips
convert at the same time, so the limit is ``data_rate / 3`` scans per second for both;
what a pair loses against one chip is the doubled bus traffic and Python work per step.
Used by ``insole-monitor bench --feet``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from firmware.acquisition_bench import measure_sampler
from firmware.adc import open_adc
from firmware.clock import FakeClock
from firmware.config import SIDES, DeviceConfig
from firmware.feet_adc import open_feet_adc
from firmware.foot_source import FootVolts, steady_stance


@dataclass(frozen=True)
class FeetRateResult:
    """Scans per second and CPU seconds per 1000 scans, one insole and two."""

    data_rate_sps: int
    one_hz: float
    one_cpu_s_per_1000: float
    two_hz: float
    two_cpu_s_per_1000: float

    @property
    def one_limit_hz(self) -> float:
        """Three conversions per scan."""
        return self.data_rate_sps / 3.0

    @property
    def two_limit_hz(self) -> float:
        """Six conversions per paired scan, three on each chip at the same time."""
        return self.data_rate_sps / 3.0


def run_feet_rate(
    backend: str = "emulated",
    data_rate_sps: int = 860,
    seconds: float = 3.0,
    bus_hz: float | None = 400_000,
    *,
    fake_clock: bool = False,
) -> tuple[str, FeetRateResult]:
    """Measure one insole, then two, at ``data_rate_sps``; returns the description too."""
    base = DeviceConfig(feet="both")
    device = replace(base, adc=replace(base.adc, data_rate_sps=data_rate_sps))
    one_config = device.adc_for("left")
    with open_adc(
        one_config,
        backend,
        FootVolts(steady_stance(), one_config),
        bus_hz=bus_hz,
        clock=FakeClock() if fake_clock else None,
    ) as adc:
        one = measure_sampler(adc, seconds)[:2]
    sources = {side: FootVolts(steady_stance(), device.adc_for(side)) for side in SIDES}
    with open_feet_adc(
        device, backend, sources, bus_hz=bus_hz, clock=FakeClock() if fake_clock else None
    ) as feet:
        description = feet.description
        two = measure_sampler(feet, seconds)[:2]
    return description, FeetRateResult(data_rate_sps, *one, *two)


def format_feet_rate(description: str, result: FeetRateResult, fake_clock: bool = False) -> str:
    """The one-versus-two table."""
    clock = ", fake clock (exact timing)" if fake_clock else ""
    r = result
    return "\n".join(
        [
            f"Two insoles: {description}{clock}",
            "| insoles | SPS | limit scans/s | single-shot scans/s | CPU s/1000 scans |",
            "|---:|---:|---:|---:|---:|",
            f"| 1 | {r.data_rate_sps} | {r.one_limit_hz:.1f} | {r.one_hz:.1f} "
            f"({r.one_hz / r.one_limit_hz:.0%}) | {r.one_cpu_s_per_1000:.3f} |",
            f"| 2 | {r.data_rate_sps} | {r.two_limit_hz:.1f} | {r.two_hz:.1f} "
            f"({r.two_hz / r.two_limit_hz:.0%}) | {r.two_cpu_s_per_1000:.3f} |",
            f"two insoles: {r.two_hz / r.one_hz:.2f} x the one-insole scan rate; "
            f"the service's 100 Hz is {'within' if r.two_hz >= 100 else 'BEYOND'} reach",
        ]
    )
