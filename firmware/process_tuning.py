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
MMAP_THRESHOLD_BYTES = 128 * 1024
"""Blocks from this size on get their own memory mapping, given back to the system when
freed. glibc starts at this value but raises it (up to 32 MB) each time such a block is
freed, after which the frame arrays and export texts of review requests (0.3-1 MB each) come
from the heaps and leave them fragmented; fixing it keeps them out."""
_M_ARENA_MAX = -8  # from glibc's malloc.h
_M_MMAP_THRESHOLD = -3


def _mallopt(option: int, value: int) -> bool:
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(option, value))


def limit_malloc_arenas(arenas: int = MALLOC_ARENAS) -> bool:
    """Cap glibc's per-thread heaps at ``arenas``; ``False`` where libc is not glibc."""
    if arenas < 1:
        raise ValueError(f"arenas must be at least 1, got {arenas!r}")
    return _mallopt(_M_ARENA_MAX, arenas)


def fix_mmap_threshold(size_bytes: int = MMAP_THRESHOLD_BYTES) -> bool:
    """Map every block of ``size_bytes`` or more on its own; ``False`` where not glibc."""
    if size_bytes < 4096:
        raise ValueError(f"the threshold must be at least one page (4096), got {size_bytes!r}")
    return _mallopt(_M_MMAP_THRESHOLD, size_bytes)


def tune_for_serving() -> float:
    """Call once at start, before the sampler and the server threads exist.

    Returns the switch interval in force before, for a service embedded in a longer-lived
    process (tests) to put back when it closes.
    """
    previous_s = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    if not (limit_malloc_arenas() and fix_mmap_threshold()):
        log.info("not glibc: malloc heaps and mappings are left to the C library")
    return previous_s
