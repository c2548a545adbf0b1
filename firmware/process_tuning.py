"""Process-wide settings for the service: sampling first, and memory that stays put.

Both were found with ``python -m benchmarks.load`` (10 live streams and 50 review requests a
second on two cores; see RELIABILITY.md, "Load").
"""

from __future__ import annotations

import ctypes
import logging
import sys

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.0005
"""Python's default is 5 ms: a sampler waking after an I2C transfer waited up to that long
for a request thread to let go of the interpreter lock, several times per scan."""
MALLOC_ARENAS = 2
"""glibc gives each thread that allocates its own heap (up to 8 per core) and keeps what was
freed in each; with 24 server threads rendering review pages in turn the resident size
grew by about 32 MB in 30 s of load, about 16 MB with two heaps."""
_M_ARENA_MAX = -8  # from glibc's malloc.h


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's per-thread heaps at ``arenas``; ``False`` where libc is not glibc."""
    if arenas < 1:
        raise ValueError(f"arenas must be at least 1, got {arenas!r}")
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_ARENA_MAX, arenas))


def tune_for_serving() -> float:
    """Call once at start, before the sampler and the server threads exist.

    Returns the switch interval in force before, for a service embedded in a longer-lived
    process (tests) to put back when it closes.
    """
    previous_s = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    if not limit_malloc_arenas():
        log.info("not glibc: the number of malloc heaps is left to the C library")
    return previous_s
