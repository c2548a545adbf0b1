"""Combined I2C transfers on Linux (``I2C_RDWR``): the request built, refusals handled."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import pytest

from firmware.adc import open_combined
from firmware.i2c_combined import I2C_M_RD, LinuxCombinedI2C, rdwr_messages

STEP = (bytes([0x01, 0x45, 0x83]), bytes([0x00]))  # config write, pointer on the result


@pytest.fixture
def not_a_bus(tmp_path: Path) -> Path:
    """A file where ``/dev/i2c-1`` would be: it opens, but refuses every I2C ioctl."""
    path = tmp_path / "i2c-1"
    path.touch()
    return path


def test_a_step_request_holds_its_messages_and_a_settable_read_length(not_a_bus: Path) -> None:
    combined = LinuxCombinedI2C(not_a_bus)
    try:
        ready = combined.prepared(0x48, STEP, 12)
        assert rdwr_messages(ready.request) == [
            (0x48, 0, STEP[0]),
            (0x48, 0, STEP[1]),
            (0x48, I2C_M_RD, 12),
        ]
        # A paced step reads more padding: the same request, a longer read.
        again = combined.prepared(0x48, STEP, 40)
        assert again is ready
        assert rdwr_messages(again.request)[-1] == (0x48, I2C_M_RD, 40)
        # Longer than the buffer: a new request with room for it.
        larger = combined.prepared(0x48, STEP, 2000)
        assert larger is not ready
        assert larger.capacity == 2000
        assert rdwr_messages(larger.request)[-1] == (0x48, I2C_M_RD, 2000)
    finally:
        combined.close()


def test_a_file_that_is_no_i2c_adapter_refuses_the_transfer(not_a_bus: Path) -> None:
    combined = LinuxCombinedI2C(not_a_bus)
    buf = bytearray(b"\xaa\xbb")
    with pytest.raises(OSError, match=r"ioctl|Invalid argument") as caught:
        combined.writes_then_readfrom(0x48, STEP, buf)
    assert caught.value.errno in (errno.ENOTTY, errno.EINVAL)
    assert buf == b"\xaa\xbb"  # nothing was read
    combined.close()
    combined.close()  # idempotent
    with pytest.raises(OSError, match="is closed") as closed:
        combined.writes_then_readfrom(0x48, STEP, buf)
    assert closed.value.errno == errno.EBADF


def test_open_combined_falls_back_with_a_warning(
    not_a_bus: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="firmware.adc"):
        assert open_combined(not_a_bus, 0x48) is None
        assert "refused a combined transfer" in caplog.text
        assert "two transfers per step" in caplog.text
        assert open_combined(tmp_path / "i2c-9", 0x48) is None
        assert "cannot open" in caplog.text
