"""Combined I2C transfers: some writes and one read under one START ... STOP.

Why: a step of a continuous run (``firmware.adc_stream``) writes the next input's config
and reads the previous result. Through the driver's bus API that is two transfers, and each
transfer is a blocking system call (an ``ioctl`` on Linux) that costs CPU however short it
is; with the paced sleep, three calls per conversion. Linux's ``I2C_RDWR`` ioctl sends a
list of messages joined by repeated STARTs with one STOP, so "write the config, point at the
conversion register, read two bytes" is one call. Every Pi's controller accepts such a
list as long as its only read is the last message (``i2c-bcm2835`` refuses anything else
with ``EOPNOTSUPP``), which is the only shape offered here.

``CombinedI2C`` is what the stream needs; ``EmulatedI2CBus`` implements it for the emulated
chip and ``LinuxCombinedI2C`` on ``/dev/i2c-<n>``. The driver still does everything else
(probe, configuration, the end-of-run checks and the single-shot strategy).
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from Adafruit_PureIO.smbus import I2C_RDWR, make_i2c_rdwr_data  # type: ignore[import-untyped]

I2C_M_RD = 0x0001
"""``i2c_msg.flags`` bit of a read message (linux/i2c.h)."""


class CombinedI2C(Protocol):
    """A bus that can send writes and one read as one transfer."""

    def writes_then_readfrom(
        self, address: int, writes: Sequence[bytes], buffer_in: bytearray
    ) -> None:
        """Send each of ``writes`` as a message, then read ``len(buffer_in)`` bytes."""


class _Prepared:
    """One ioctl request kept ready: its message buffers must live as long as it does.

    The read message's length is set per call (paced steps read a varying number of
    padding bytes) up to the buffer's capacity.
    """

    def __init__(self, address: int, writes: Sequence[bytes], capacity: int) -> None:
        self.write_buffers = [
            (ctypes.c_uint8 * len(data)).from_buffer_copy(data) for data in writes
        ]
        self.capacity = capacity
        self.read_buffer = (ctypes.c_uint8 * capacity)()
        messages = [
            (address, 0, len(buf), ctypes.cast(buf, ctypes.POINTER(ctypes.c_uint8)))
            for buf in self.write_buffers
        ]
        messages.append(
            (
                address,
                I2C_M_RD,
                capacity,
                ctypes.cast(self.read_buffer, ctypes.POINTER(ctypes.c_uint8)),
            )
        )
        self.request: Any = make_i2c_rdwr_data(messages)
        self._read_msg = self.request.msgs[len(messages) - 1]

    def set_read_length(self, count: int) -> None:
        """Read ``count`` bytes (at most ``capacity``) in the next ioctl."""
        self._read_msg.len = count


def rdwr_messages(request: Any) -> list[tuple[int, int, bytes | int]]:
    """The messages of an ``I2C_RDWR`` request: (address, flags, written bytes or read length).

    For checking what would go on the wire without a bus.
    """
    out: list[tuple[int, int, bytes | int]] = []
    for i in range(request.nmsgs):
        msg = request.msgs[i]
        if msg.flags & I2C_M_RD:
            out.append((msg.addr, msg.flags, msg.len))
        else:
            out.append((msg.addr, msg.flags, bytes(msg.buf[: msg.len])))
    return out


class LinuxCombinedI2C:
    """``CombinedI2C`` on a Linux ``/dev/i2c-<n>`` through the ``I2C_RDWR`` ioctl.

    The device file is opened on its own (the driver keeps its own descriptor; the kernel
    serialises transfers on the adapter). Requests are built once per distinct message list
    (a stream uses three or four) and reused, so a step costs one ioctl and a copy.
    """

    MAX_PREPARED = 16
    """Distinct message lists kept ready; beyond that the cache starts afresh."""
    MIN_CAPACITY = 512
    """Read buffer of a ready request: a paced step at 128 SPS pads ~350 bytes at 400 kHz."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = os.open(path, os.O_RDWR | os.O_CLOEXEC)
        self._prepared: dict[tuple[int, tuple[bytes, ...]], _Prepared] = {}

    def prepared(self, address: int, writes: Sequence[bytes], read_len: int) -> _Prepared:
        """The ready request for these messages, reading ``read_len`` bytes."""
        key = (address, tuple(writes))
        ready = self._prepared.get(key)
        if ready is None or ready.capacity < read_len:
            if len(self._prepared) >= self.MAX_PREPARED:
                self._prepared.clear()
            # Room for a paced step's padding from the start (a few hundred bytes at most).
            capacity = max(read_len, self.MIN_CAPACITY)
            ready = self._prepared[key] = _Prepared(address, key[1], capacity)
        ready.set_read_length(read_len)
        return ready

    def writes_then_readfrom(
        self, address: int, writes: Sequence[bytes], buffer_in: bytearray
    ) -> None:
        """One ``I2C_RDWR`` ioctl; ``OSError`` with the kernel's errno on a bus fault."""
        if self._fd is None:
            raise OSError(errno.EBADF, f"{self.path} is closed")
        count = len(buffer_in)
        ready = self.prepared(address, writes, count)
        fcntl.ioctl(self._fd, I2C_RDWR, ready.request)
        buffer_in[:] = bytes(ready.read_buffer[:count])

    def close(self) -> None:
        """Close the device file (idempotent)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
