"""Pure domain logic of the foot-tripod insole monitor.

Nothing in this package touches hardware, the network or the clock: time always
arrives inside the frames, so every rule can be replayed from a recording.
"""

from insole.errors import InsoleError
from insole.frames import SENSORS, Frame

__all__ = ["SENSORS", "Frame", "InsoleError"]
