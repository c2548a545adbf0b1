"""Compact encoding of frame chunks for the session log.

A chunk is a run of frames packed into one ``bytes`` blob. Values are quantised
(time to 0.1 ms, forces to 0.01 N), turned into small integers by prediction
(second difference for time, first difference for forces), zigzag-mapped to unsigned
and written with a Rice code whose parameter is chosen per column and chunk. Rice
coding gets within a few percent of the entropy of the sensor noise without the
per-block table overhead that makes zlib poor on one-second chunks, and both
directions are plain numpy array operations.

Resolution and range (the rule applied by :func:`quantise`):

* time: 0.1 ms (``TIME_STEP_S``); must be finite with ``|t_s| <= MAX_ABS_TIME_S``,
  otherwise :class:`FrameRangeError`. Any order and spacing are allowed.
* forces: 0.01 N (``FORCE_STEP_N``), far below the accuracy of an FSR (several
  percent of reading). ``NaN`` is rejected with :class:`FrameRangeError`; values
  beyond ``±MAX_ABS_FORCE_N`` (including infinities) are clamped to that limit, which
  is two orders of magnitude above any body weight, so a clamped value can only mean
  a shorted or broken sensor and is kept as "off the scale" rather than dropped.

The byte layout is documented as a table in ``docs/storage.md``.
"""

from __future__ import annotations

import struct

import numpy as np
import numpy.typing as npt

from insole.errors import InsoleError

TIME_STEP_S = 1e-4
"""Time resolution of stored frames (0.1 ms)."""
FORCE_STEP_N = 0.01
"""Force resolution of stored frames (0.01 N)."""
MAX_ABS_TIME_S = 1e10
"""Largest accepted ``|t_s|`` (about 317 years: covers monotonic and Unix clocks)."""
MAX_ABS_FORCE_N = 1e5
"""Forces are clamped to ``±MAX_ABS_FORCE_N``."""

FORMAT_VERSION = 1
_MAGIC = b"IF"
# magic, format version, frame count, first time tick, first three force steps
_HEADER = struct.Struct("<2sBIq3i")
# Rice parameter k, unary bit count, exception count
_COLUMN = struct.Struct("<BII")
# A quotient at or above this marks an "exception": the value is stored whole as a
# uint64 after the bit streams, so a big jump costs 8 bytes instead of a long unary run.
_ESCAPE_Q = 24
_TICKS_PER_S = 10_000  # 1 / TIME_STEP_S, as an exact integer
_STEPS_PER_N = 100  # 1 / FORCE_STEP_N
_SCALE = np.array([_TICKS_PER_S, _STEPS_PER_N, _STEPS_PER_N, _STEPS_PER_N], dtype=np.float64)
_LIMITS = _SCALE * np.array([MAX_ABS_TIME_S, MAX_ABS_FORCE_N, MAX_ABS_FORCE_N, MAX_ABS_FORCE_N])

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
UIntArray = npt.NDArray[np.uint64]


class FrameRangeError(InsoleError, ValueError):
    """Frames cannot be stored: not finite, out of range or of the wrong shape."""


class ChunkFormatError(InsoleError, ValueError):
    """A stored chunk blob is damaged or of an unknown format."""


def as_frame_array(frames: object) -> FloatArray:
    """Turn a sequence of ``Frame`` (or an ``(n, 4)`` array) into a float64 ``(n, 4)`` array."""
    try:
        array = np.asarray(frames, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise FrameRangeError(
            f"frames must be (t_s, heel_n, little_toe_n, big_toe_n) numbers: {err}"
        ) from err
    if array.size == 0:
        return np.empty((0, 4), dtype=np.float64)
    if array.ndim != 2 or array.shape[1] != 4:
        raise FrameRangeError(
            f"frames must have 4 values each (t_s and three forces), got shape {array.shape}"
        )
    return array


def quantise(frames: FloatArray) -> IntArray:
    """Validate frames and convert them to integer steps (columns: time ticks, 3 forces).

    Raises :class:`FrameRangeError` for a non-finite or out-of-range time or a ``NaN``
    force; clamps forces to ``±MAX_ABS_FORCE_N``. Nothing is modified in place.
    """
    scaled = frames * _SCALE
    if (np.abs(scaled) <= _LIMITS).all():  # fast path: NaN fails the comparison too
        return np.rint(scaled).astype(np.int64)
    times = frames[:, 0]
    bad_time = ~np.isfinite(times) | (np.abs(times) > MAX_ABS_TIME_S)
    if bad_time.any():
        index = int(np.flatnonzero(bad_time)[0])
        raise FrameRangeError(
            f"frame {index}: time {times[index]!r} s is not allowed; times must be finite "
            f"and within ±{MAX_ABS_TIME_S:g} s"
        )
    forces = frames[:, 1:]
    nan = np.isnan(forces)
    if nan.any():
        index = int(np.flatnonzero(nan.any(axis=1))[0])
        raise FrameRangeError(f"frame {index}: a force is NaN; forces must be numbers")
    steps = np.empty(frames.shape, dtype=np.int64)
    steps[:, 0] = np.rint(times * _TICKS_PER_S)
    clamped = np.clip(forces, -MAX_ABS_FORCE_N, MAX_ABS_FORCE_N)
    steps[:, 1:] = np.rint(clamped * _STEPS_PER_N)
    return steps


def _zigzag(values: IntArray) -> UIntArray:
    return ((values << 1) ^ (values >> 63)).view(np.uint64)


def _unzigzag(values: UIntArray) -> IntArray:
    return (values >> np.uint64(1)).view(np.int64) ^ -(values & np.uint64(1)).view(np.int64)


def _rice_cost(values: UIntArray, k: int) -> int:
    quotients = values >> np.uint64(k)
    escaped = int(np.count_nonzero(quotients >= _ESCAPE_Q))
    unary = int(np.minimum(quotients, _ESCAPE_Q).sum())
    return values.size * (k + 1) + unary + 64 * escaped


def _best_k(values: UIntArray) -> int:
    mean = float(values.mean(dtype=np.float64))
    guess = max(0, int(np.log2(mean + 1.0)) - 1)
    candidates = range(max(0, guess - 1), min(63, guess + 2) + 1)
    return min(candidates, key=lambda k: _rice_cost(values, k))


def _rice_encode(values: UIntArray) -> bytes:
    k = _best_k(values)
    quotients = values >> np.uint64(k)
    escaped = quotients >= _ESCAPE_Q
    quotients = np.where(escaped, _ESCAPE_Q, quotients).astype(np.int64)
    # Unary stream: q ones then a zero per value.
    unary_bits = int(quotients.sum()) + values.size
    unary = np.ones(unary_bits, dtype=np.uint8)
    unary[np.cumsum(quotients + 1) - 1] = 0
    # Remainder stream: the low k bits of every value, most significant first.
    if k:
        remainders = np.where(escaped, np.uint64(0), values & np.uint64((1 << k) - 1))
        shifts = np.arange(k - 1, -1, -1, dtype=np.uint64)
        remainder_bits = ((remainders[:, None] >> shifts) & np.uint64(1)).astype(np.uint8)
        remainder_bytes = np.packbits(remainder_bits.ravel()).tobytes()
    else:
        remainder_bytes = b""
    exceptions = values[escaped].astype("<u8").tobytes()
    return b"".join(
        (
            _COLUMN.pack(k, unary_bits, int(escaped.sum())),
            remainder_bytes,
            np.packbits(unary).tobytes(),
            exceptions,
        )
    )


def _rice_decode(blob: memoryview, offset: int, count: int) -> tuple[UIntArray, int]:
    if offset + _COLUMN.size > len(blob):
        raise ChunkFormatError("chunk ends inside a column header")
    k, unary_bits, n_exceptions = _COLUMN.unpack_from(blob, offset)
    offset += _COLUMN.size
    if k > 63 or unary_bits < count:
        raise ChunkFormatError("column header is inconsistent")
    remainder_len = (count * k + 7) // 8
    unary_len = (unary_bits + 7) // 8
    end = offset + remainder_len + unary_len + 8 * n_exceptions
    if end > len(blob):
        raise ChunkFormatError("chunk is shorter than its column headers say")
    remainder_raw = np.frombuffer(blob, np.uint8, remainder_len, offset)
    unary_raw = np.frombuffer(blob, np.uint8, unary_len, offset + remainder_len)
    exceptions = np.frombuffer(blob, "<u8", n_exceptions, offset + remainder_len + unary_len)
    zeros = np.flatnonzero(np.unpackbits(unary_raw, count=unary_bits) == 0)
    if zeros.size != count:
        raise ChunkFormatError("unary stream does not hold the stated number of values")
    quotients = np.diff(zeros, prepend=-1) - 1
    escaped = quotients == _ESCAPE_Q
    if int(escaped.sum()) != n_exceptions:
        raise ChunkFormatError("exception count does not match the unary stream")
    values = quotients.astype(np.uint64) << np.uint64(k)
    if k:
        bits = np.unpackbits(remainder_raw, count=count * k).reshape(count, k)
        weights = np.uint64(1) << np.arange(k - 1, -1, -1, dtype=np.uint64)
        values |= (bits.astype(np.uint64) * weights).sum(axis=1, dtype=np.uint64)
    values[escaped] = exceptions.astype(np.uint64)
    return values, end


def encode_steps(steps: IntArray) -> bytes:
    """Encode already quantised frames (output of :func:`quantise`) into a chunk blob."""
    count = steps.shape[0]
    if count == 0:
        raise FrameRangeError("a chunk needs at least one frame")
    first = steps[0]
    parts = [_HEADER.pack(_MAGIC, FORMAT_VERSION, count, int(first[0]), *map(int, first[1:]))]
    if count > 1:
        time_step = np.diff(steps[:, 0])
        # Second difference of time: near zero for a steady sampling rate.
        parts.append(_rice_encode(_zigzag(np.diff(time_step, prepend=0))))
        for column in range(1, 4):
            parts.append(_rice_encode(_zigzag(np.diff(steps[:, column]))))
    return b"".join(parts)


def encode(frames: FloatArray) -> bytes:
    """Quantise and encode an ``(n, 4)`` frame array (n >= 1) into a chunk blob."""
    return encode_steps(quantise(frames))


def decode(blob: bytes) -> FloatArray:
    """Decode a chunk blob back into an ``(n, 4)`` float64 array.

    Raises :class:`ChunkFormatError` if the blob is damaged or of an unknown format.
    """
    view = memoryview(blob)
    if len(view) < _HEADER.size:
        raise ChunkFormatError("chunk is shorter than its header")
    magic, version, count, t0, *f0 = _HEADER.unpack_from(view, 0)
    if magic != _MAGIC or version != FORMAT_VERSION:
        raise ChunkFormatError(f"unknown chunk format {magic!r} version {version}")
    # Every value takes at least one unary bit, so a damaged count cannot make us
    # allocate more than the blob could hold.
    if count == 0 or count - 1 > 8 * len(view):
        raise ChunkFormatError(f"chunk claims {count} frames in {len(view)} bytes")
    steps = np.empty((count, 4), dtype=np.int64)
    steps[0] = (t0, *f0)
    offset = _HEADER.size
    if count > 1:
        columns = []
        for _ in range(4):
            values, offset = _rice_decode(view, offset, count - 1)
            columns.append(_unzigzag(values))
        steps[1:, 0] = t0 + np.cumsum(np.cumsum(columns[0]))
        for column in range(1, 4):
            steps[1:, column] = f0[column - 1] + np.cumsum(columns[column])
    if offset != len(view):
        raise ChunkFormatError("chunk has trailing bytes")
    return steps_to_frames(steps)


def steps_to_frames(steps: IntArray) -> FloatArray:
    """Convert quantised frames (output of :func:`quantise`) back to seconds and newtons."""
    frames = np.empty(steps.shape, dtype=np.float64)
    frames[:, 0] = steps[:, 0] / _TICKS_PER_S
    frames[:, 1:] = steps[:, 1:] / _STEPS_PER_N
    return frames


def ticks_to_s(ticks: int) -> float:
    """One quantised time value in seconds."""
    return ticks / _TICKS_PER_S
