"""Host scheduling for the timing-critical acquisition thread (Linux; no-ops elsewhere).

Two requests, both for the *calling thread* only and both best effort:

- ``tighten_timer_slack``: Linux lets a normal thread's sleep end up to 50 µs late (the
  default timer slack, which batches wake-ups to save power). 1 µs slack makes the
  sampler's sleeps end on time.
- ``request_realtime``: ``SCHED_FIFO`` at a low real-time priority, so that a wake-up of
  the sampler preempts ordinary processes at once instead of waiting for the scheduler's
  next turn (several milliseconds on a busy machine: long enough for a continuous run to
  miss a conversion). Allowed to root, to a process with ``CAP_SYS_NICE`` or, for an
  unprivileged user, up to ``RLIMIT_RTPRIO`` (the systemd unit sets ``LimitRTPRIO=``).
  The kernel's real-time throttling (``/proc/sys/kernel/sched_rt_runtime_us``, 95 % by
  default) keeps even a runaway real-time thread from freezing the machine; the sampler
  itself only ever sleeps between transfers.
"""

from __future__ import annotations

import ctypes
import logging
import os
import sys

log = logging.getLogger(__name__)

PR_SET_TIMERSLACK = 29
"""prctl option (linux/prctl.h): the calling thread's timer slack in nanoseconds."""
SAMPLER_PRIORITY = 10
"""SCHED_FIFO priority asked for the sampler (1-99; low: above every ordinary process,
below the kernel's own interrupt threads at 50)."""


def tighten_timer_slack(slack_ns: int = 1000) -> bool:
    """Ask for ``slack_ns`` timer slack on the calling thread; whether Linux took it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return int(libc.prctl(PR_SET_TIMERSLACK, slack_ns, 0, 0, 0)) == 0
    except (OSError, AttributeError):  # pragma: no cover - exotic libc
        log.debug("could not set the timer slack; sleeps may overshoot by ~50 µs")
        return False


def request_realtime(priority: int = SAMPLER_PRIORITY) -> bool:
    """Put the calling thread in ``SCHED_FIFO`` at ``priority``; whether it was allowed.

    A refusal is normal (an unprivileged user without ``LimitRTPRIO``) and only logged:
    acquisition works at normal priority too, with more late wake-ups on a busy machine.
    """
    if not 1 <= priority <= 99:
        raise ValueError(f"a SCHED_FIFO priority is 1-99, got {priority!r}")
    setter = getattr(os, "sched_setscheduler", None)
    if setter is None or not sys.platform.startswith("linux"):
        return False
    try:
        # pid 0 is the calling thread (Linux schedules threads, not processes).
        setter(0, os.SCHED_FIFO, os.sched_param(priority))
    except OSError as err:
        log.info(
            "sampler runs at normal priority (real-time priority %d refused: %s); on a Pi "
            "the systemd unit's LimitRTPRIO= allows it",
            priority,
            err.strerror or err,
        )
        return False
    return True


def current_policy() -> str:
    """The calling thread's scheduling policy name (for logs and benchmarks)."""
    getter = getattr(os, "sched_getscheduler", None)
    if getter is None:
        return "unknown"
    policy = getter(0)
    names = {os.SCHED_OTHER: "normal", os.SCHED_FIFO: "fifo", os.SCHED_RR: "rr"}
    return names.get(policy, str(policy))
