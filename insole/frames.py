"""Frame records: one time stamp and the three sensor readings.

Sensor names are fixed project-wide (code, CSV, JSON and UI keys):

========== ==========================================
name       point on the sole
========== ==========================================
heel       outside of the heel (lateral calcaneus)
little_toe ball of the little toe (5th metatarsal head)
big_toe    ball of the big toe (1st metatarsal head)
========== ==========================================
"""

from typing import NamedTuple

SENSORS: tuple[str, str, str] = ("heel", "little_toe", "big_toe")
"""The three sensor names, in the order used by every tuple of per-sensor values."""


class Frame(NamedTuple):
    """Forces on the three points at one instant.

    ``t_s`` is seconds from an arbitrary origin (the start of a recording, or a
    monotonic clock); forces are in newtons. A ``NamedTuple`` keeps frames immutable
    and cheap: the live path creates hundreds of them per second.
    """

    t_s: float
    heel_n: float
    little_toe_n: float
    big_toe_n: float

    @property
    def forces_n(self) -> tuple[float, float, float]:
        """The three forces in ``SENSORS`` order."""
        return (self.heel_n, self.little_toe_n, self.big_toe_n)

    @property
    def total_n(self) -> float:
        """Sum of the three forces."""
        return self.heel_n + self.little_toe_n + self.big_toe_n


class VoltsFrame(NamedTuple):
    """Divider output voltages on the three channels at one instant, as sampled."""

    t_s: float
    heel_v: float
    little_toe_v: float
    big_toe_v: float

    @property
    def volts(self) -> tuple[float, float, float]:
        """The three voltages in ``SENSORS`` order."""
        return (self.heel_v, self.little_toe_v, self.big_toe_v)
