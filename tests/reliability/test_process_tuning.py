"""Process settings of the service: the switch interval, malloc heaps and mappings."""

from __future__ import annotations

import platform
import sys

import pytest

from firmware import process_tuning


def test_the_switch_interval_is_shortened_and_the_old_one_returned() -> None:
    before_s = sys.getswitchinterval()
    try:
        assert process_tuning.tune_for_serving() == before_s
        assert sys.getswitchinterval() == pytest.approx(process_tuning.SWITCH_INTERVAL_S)
    finally:
        sys.setswitchinterval(before_s)


@pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="mallopt(M_ARENA_MAX) is glibc's"
)
def test_glibc_accepts_the_heap_limit() -> None:
    assert process_tuning.limit_malloc_arenas(process_tuning.MALLOC_ARENAS) is True


def test_at_least_one_heap() -> None:
    with pytest.raises(ValueError, match="arenas"):
        process_tuning.limit_malloc_arenas(0)


@pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="mallopt(M_MMAP_THRESHOLD) is glibc's"
)
def test_glibc_accepts_the_fixed_mmap_threshold() -> None:
    assert process_tuning.fix_mmap_threshold(process_tuning.MMAP_THRESHOLD_BYTES) is True


def test_the_mmap_threshold_is_at_least_a_page() -> None:
    with pytest.raises(ValueError, match="at least one page"):
        process_tuning.fix_mmap_threshold(100)
