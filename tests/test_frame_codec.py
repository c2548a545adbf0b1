"""Frame chunk codec: round trips within the stored resolution, range rules, damage."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from insole import frame_codec as fc
from insole.frames import Frame
from tests.test_store_support import realistic_frames

TIME_TOL = fc.TIME_STEP_S / 2 * (1 + 1e-6)
FORCE_TOL = fc.FORCE_STEP_N / 2 * (1 + 1e-6)


def assert_round_trip(frames: np.ndarray) -> None:
    decoded = fc.decode(fc.encode(frames))
    assert decoded.shape == frames.shape
    # Time error also carries float rounding of large clock values (relative 1e-15).
    time_tol = TIME_TOL + np.abs(frames[:, 0]).max() * 1e-15
    assert np.abs(decoded[:, 0] - frames[:, 0]).max() <= time_tol
    clamped = np.clip(frames[:, 1:], -fc.MAX_ABS_FORCE_N, fc.MAX_ABS_FORCE_N)
    assert np.abs(decoded[:, 1:] - clamped).max() <= FORCE_TOL


@pytest.mark.parametrize("noise_n", [0.05, 0.15, 0.3])
def test_realistic_second_round_trips_and_is_compact(noise_n: float) -> None:
    frames = realistic_frames(100, noise_n=noise_n, seed=3)
    assert_round_trip(frames)
    blob = fc.encode(frames)
    # Raw float64 would be 32 bytes a frame; the codec must do far better on real noise.
    assert len(blob) / 100 < 6.0


def test_encoding_is_deterministic_and_decoding_idempotent() -> None:
    frames = realistic_frames(500, seed=4)
    blob = fc.encode(frames)
    assert fc.encode(frames) == blob
    assert fc.encode(fc.decode(blob)) == blob


def test_single_frame_and_frame_records() -> None:
    frames = [Frame(12.3456, 40.0, 0.0, -0.5)]
    decoded = fc.decode(fc.encode(fc.as_frame_array(frames)))
    assert decoded.tolist() == [[12.3456, 40.0, 0.0, -0.5]]


def test_uneven_spacing_gaps_and_backward_time() -> None:
    t = np.array([0.0, 0.01, 0.0101, 0.5, 0.5, 3600.25, 3600.0, -2.0])
    forces = np.tile([30.0, 10.0, 20.0], (t.size, 1))
    assert_round_trip(np.column_stack([t, forces]))


def test_big_jumps_use_escapes_and_stay_small() -> None:
    frames = realistic_frames(200, seed=5)
    frames[::2, 1] = 90_000.0  # a sensor flapping between normal and near-clamp values
    assert_round_trip(frames)
    assert len(fc.encode(frames)) < 200 * 32


def test_forces_beyond_limit_are_clamped() -> None:
    frames = np.array([[0.0, np.inf, -np.inf, 2e6], [0.01, 1.0, 2.0, 3.0]], dtype=np.float64)
    decoded = fc.decode(fc.encode(frames))
    limit = fc.MAX_ABS_FORCE_N
    assert decoded[0, 1:].tolist() == [limit, -limit, limit]
    assert decoded[1, 1:].tolist() == [1.0, 2.0, 3.0]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ([np.nan, 1.0, 1.0, 1.0], "time"),
        ([np.inf, 1.0, 1.0, 1.0], "time"),
        ([2e10, 1.0, 1.0, 1.0], "time"),
        ([0.0, 1.0, np.nan, 1.0], "NaN"),
    ],
)
def test_bad_frames_are_rejected_with_the_rule(row: list[float], message: str) -> None:
    frames = np.array([[0.0, 1.0, 1.0, 1.0], row])
    with pytest.raises(fc.FrameRangeError, match=message) as info:
        fc.encode(frames)
    assert "frame 1" in str(info.value)


@pytest.mark.parametrize("bad", [[[1.0, 2.0, 3.0]], [["a", "b", "c", "d"]], [[1, 2, 3, 4, 5]]])
def test_wrong_shapes_are_rejected(bad: object) -> None:
    with pytest.raises(fc.FrameRangeError, match=r"4 values|numbers"):
        fc.as_frame_array(bad)


def test_empty_input_gives_empty_array_but_no_chunk() -> None:
    assert fc.as_frame_array([]).shape == (0, 4)
    with pytest.raises(fc.FrameRangeError, match="at least one"):
        fc.encode(np.empty((0, 4)))


def test_damaged_blobs_are_reported_not_misread() -> None:
    blob = fc.encode(realistic_frames(100, seed=6))
    huge_count = blob[:3] + (2**32 - 1).to_bytes(4, "little") + blob[7:]
    zero_count = blob[:3] + bytes(4) + blob[7:]
    for damaged in (blob[:10], blob[:-3], blob + b"\0", b"XX" + blob[2:], huge_count, zero_count):
        with pytest.raises(fc.ChunkFormatError):
            fc.decode(damaged)


forces = st.floats(-2e5, 2e5) | st.sampled_from([np.nan, np.inf, -np.inf])


@settings(max_examples=150, deadline=None)
@given(
    hnp.arrays(
        np.float64,
        st.tuples(st.integers(1, 300), st.just(4)),
        elements=st.floats(-1e5, 1e5, allow_nan=False, allow_infinity=False),
    )
)
def test_any_in_range_frames_round_trip_within_resolution(frames: np.ndarray) -> None:
    assert_round_trip(frames)


@settings(max_examples=150, deadline=None)
@given(
    st.floats(-1e6, 1e6),
    st.lists(st.tuples(st.floats(0.0001, 5.0), forces, forces, forces), min_size=1, max_size=150),
)
def test_uneven_spacing_and_clamping_property(
    t0_s: float, rows: list[tuple[float, float, float, float]]
) -> None:
    data = np.array(rows, dtype=np.float64)
    frames = np.column_stack([t0_s + np.cumsum(data[:, 0]), data[:, 1:]])
    if np.isnan(data[:, 1:]).any():
        with pytest.raises(fc.FrameRangeError, match="NaN"):
            fc.encode(frames)
    else:
        assert_round_trip(frames)


VALID_BLOB = fc.encode(realistic_frames(60, seed=7))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID_BLOB) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=6,
    ),
    st.integers(0, len(VALID_BLOB)),
)
def test_damaged_blob_raises_chunk_error_or_decodes(
    edits: list[tuple[int, int]], keep_bytes: int
) -> None:
    blob = bytearray(VALID_BLOB)
    for index, value in edits:
        blob[index] = value
    try:
        frames = fc.decode(bytes(blob[:keep_bytes]))
    except fc.ChunkFormatError:
        return
    assert frames.ndim == 2
    assert frames.shape[1] == 4
