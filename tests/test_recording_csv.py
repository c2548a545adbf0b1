"""Recording CSV: round trips, tolerated variants, every rejection with its line."""

from __future__ import annotations

import io
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insole.errors import RecordingFormatError
from insole.frames import Frame
from insole.recording_csv import (
    REQUIRED_COLUMNS,
    iter_recording,
    read_recording,
    read_recording_arrays,
    write_recording,
)

HEADER = ",".join(REQUIRED_COLUMNS)

forces = st.floats(min_value=0.0, max_value=5000.0, allow_nan=False, allow_infinity=False)
steps = st.floats(min_value=1e-6, max_value=10.0, allow_nan=False, allow_infinity=False)


@st.composite
def frame_lists(draw: st.DrawFn, min_size: int = 1, max_size: int = 40) -> list[Frame]:
    start = draw(st.floats(min_value=-100.0, max_value=1e5, allow_nan=False))
    gaps = draw(st.lists(steps, min_size=min_size - 1, max_size=max_size - 1))
    frames = []
    t = start
    for gap in [0.0, *gaps]:
        t_next = t + gap
        if frames and t_next <= frames[-1].t_s:  # float step too small to register
            t_next = math.nextafter(frames[-1].t_s, math.inf)
        t = t_next
        frames.append(Frame(t, draw(forces), draw(forces), draw(forces)))
    return frames


def _text(frames: list[Frame], **kwargs: object) -> str:
    out = io.StringIO()
    write_recording(out, frames, **kwargs)  # type: ignore[arg-type]
    return out.getvalue()


# -- round trips ------------------------------------------------------------------------------


@given(frame_lists())
def test_any_valid_frames_round_trip_exactly(frames: list[Frame]) -> None:
    assert read_recording(io.StringIO(_text(frames))) == frames


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=20)
@given(frames=frame_lists())
def test_round_trip_through_a_file_path(tmp_path: Path, frames: list[Frame]) -> None:
    path = tmp_path / "rec.csv"
    assert write_recording(path, frames) == len(frames)
    assert read_recording(path) == frames
    arrays = read_recording_arrays(path)
    assert arrays.t_s.tolist() == [f.t_s for f in frames]
    assert arrays.forces_n.tolist() == [list(f.forces_n) for f in frames]


def test_rounded_round_trip_keeps_two_decimals() -> None:
    frames = [Frame(0.0, 10.123, 0.004, 3.0), Frame(0.01, 10.126, 2.5, 3.333)]
    text = _text(frames, decimals=2)
    assert text.splitlines()[1:] == ["0.00,10.12,0.00,3.00", "0.01,10.13,2.50,3.33"]
    back = read_recording(io.StringIO(text))
    assert [f.heel_n for f in back] == [10.12, 10.13]


def test_writer_adds_extra_columns_and_reader_ignores_them() -> None:
    frames = [Frame(0.0, 1.0, 2.0, 3.0), Frame(0.5, 4.0, 5.0, 6.0)]
    text = _text(frames, extra_columns={"balanced": [0, 1], "total_n": [6.0, 15.0]})
    assert text.splitlines()[0] == HEADER + ",balanced,total_n"
    assert text.splitlines()[2] == "0.5,4.0,5.0,6.0,1,15.0"
    assert read_recording(io.StringIO(text)) == frames


def test_columns_in_any_order_among_unknown_ones() -> None:
    text = "note,big_toe_n, time_s ,little_toe_n,x,heel_n\nok,3,0,2,a,1\nfine,6,1.5,5,b,4\n"
    assert read_recording(io.StringIO(text)) == [
        Frame(0.0, 1.0, 2.0, 3.0),
        Frame(1.5, 4.0, 5.0, 6.0),
    ]


def test_bom_crlf_and_trailing_blank_lines_are_accepted() -> None:
    raw = ("\ufeff" + HEADER + "\r\n0,1,2,3\r\n0.1,1,2,3\r\n\r\n  \r\n").encode("utf-8")
    assert len(read_recording(io.BytesIO(raw))) == 2


def test_progress_reports_up_to_one_and_gives_the_same_frames() -> None:
    frames = [Frame(i / 100, 1.0, 2.0, float(i)) for i in range(50_001)]
    text = _text(frames)
    seen: list[float] = []
    assert read_recording(io.StringIO(text), progress=seen.append) == frames
    assert len(seen) == 3  # 20,000-row chunks
    assert seen == sorted(seen)
    assert seen[-1] == 1.0


def test_iter_recording_checks_time_across_chunk_borders() -> None:
    text = HEADER + "\n0,1,1,1\n1,1,1,1\n0.5,1,1,1\n"
    chunks = iter_recording(io.StringIO(text), chunk_rows=2)
    first = next(chunks)
    assert first.first_line == 2
    assert len(first.frames) == 2
    with pytest.raises(RecordingFormatError) as info:
        next(chunks)
    assert info.value.line == 4
    assert "goes back" in str(info.value)


def test_iter_recording_rejects_a_bad_chunk_size() -> None:
    with pytest.raises(ValueError, match="chunk_rows"):
        next(iter_recording(io.StringIO(HEADER + "\n0,1,1,1\n"), chunk_rows=0))


# -- rejections -------------------------------------------------------------------------------

BAD_FILES = [
    pytest.param("", 0, "empty", id="empty"),
    pytest.param("\n\n \n", 0, "empty", id="only-blank-lines"),
    pytest.param(HEADER + "\n", 2, "no frames", id="header-only"),
    pytest.param("time_s,heel_n,big_toe_n\n0,1,2\n", 1, "little_toe_n", id="missing-column"),
    pytest.param(HEADER + ",heel_n\n0,1,2,3,4\n", 1, "2 times", id="duplicate-column"),
    pytest.param(HEADER + "\n0,1,2,3\n0.1,1,x,3\n", 3, "little_toe_n is not a number", id="text"),
    pytest.param(HEADER + "\n0,1,2,3\n0.1,1,,3\n", 3, "not a number", id="empty-field"),
    pytest.param(HEADER + "\n0,1,2\n", 2, "3 fields", id="too-few-fields"),
    pytest.param(HEADER + "\n0,1,2,3\n1,1,2,3,4\n", 3, "5 fields", id="too-many-fields"),
    pytest.param(HEADER + "\n0,1,2,3,4\n1,2,3\n", 2, "5 fields", id="long-and-short-line"),
    pytest.param(HEADER + "\n0,1,2,3\n1,nan,2,3\n", 3, "finite", id="nan"),
    pytest.param(HEADER + "\n0,1,2,3\n1,1,inf,3\n", 3, "finite", id="inf"),
    pytest.param(HEADER + "\ninf,1,2,3\n", 2, "time_s must be a finite", id="inf-time"),
    pytest.param(HEADER + "\n0,1,2,3\n1,1,2,-0.5\n", 3, "big_toe_n is negative", id="negative"),
    pytest.param(HEADER + "\n0,1,2,3\n1,1,2,3\n0.5,1,2,3\n", 4, "goes back", id="backwards"),
    pytest.param(HEADER + "\n0,1,2,3\n1,1,2,3\n1,1,2,3\n", 4, "repeats", id="equal-times"),
    pytest.param(HEADER + "\n0,1,2,3\n\n1,1,2,3\n", 3, "blank line", id="blank-between"),
    pytest.param(HEADER + '\n0,1,2,3\n1,"1",2,3\n', 3, "not a number", id="quoted"),
]


@pytest.mark.parametrize(("text", "line", "fragment"), BAD_FILES)
def test_malformed_files_are_rejected_with_their_line(text: str, line: int, fragment: str) -> None:
    with pytest.raises(RecordingFormatError) as info:
        read_recording(io.StringIO(text))
    assert info.value.line == line
    assert fragment in str(info.value)
    if line:
        assert str(info.value).startswith(f"line {line}: ")
    with pytest.raises(RecordingFormatError):
        read_recording_arrays(io.StringIO(text))
    with pytest.raises(RecordingFormatError):
        list(iter_recording(io.StringIO(text)))


def test_invalid_utf8_names_its_line() -> None:
    raw = (HEADER + "\n0,1,2,3\n").encode() + b"1,\xff,2,3\n"
    with pytest.raises(RecordingFormatError) as info:
        read_recording(io.BytesIO(raw))
    assert info.value.line == 3
    assert "UTF-8" in str(info.value)


def test_missing_file_is_a_recording_error(tmp_path: Path) -> None:
    with pytest.raises(RecordingFormatError, match="cannot read"):
        read_recording(tmp_path / "absent.csv")


def test_error_late_in_a_big_file_returns_nothing() -> None:
    frames = [Frame(i / 100, 1.0, 2.0, 3.0) for i in range(30_000)]
    text = _text(frames) + "299.985,1,2,3\n"  # before the last time (299.99)
    seen: list[float] = []
    with pytest.raises(RecordingFormatError) as info:
        read_recording(io.StringIO(text), progress=seen.append)
    assert info.value.line == 30_002
    assert seen == [20_000 / 30_001]  # the first chunk was fine, the second was not


# -- corruption never escapes as another exception type -------------------------------------

corruptions = st.sampled_from(
    ["replace", "delete", "insert", "duplicate-line", "swap-lines", "move-field"]
)


@settings(max_examples=300)
@given(
    frames=frame_lists(min_size=2, max_size=8),
    how=corruptions,
    where=st.integers(min_value=0, max_value=10_000),
    char=st.characters(codec="utf-8"),
)
def test_any_corruption_is_read_or_rejected_with_a_line(
    frames: list[Frame], how: str, where: int, char: str
) -> None:
    text = _text(frames)
    lines = text.split("\n")
    if how == "replace":
        i = where % len(text)
        text = text[:i] + char + text[i + 1 :]
    elif how == "delete":
        i = where % len(text)
        text = text[:i] + text[i + 1 :]
    elif how == "insert":
        i = where % (len(text) + 1)
        text = text[:i] + char + text[i:]
    elif how == "duplicate-line":
        i = 1 + where % (len(lines) - 2)
        text = "\n".join([*lines[: i + 1], lines[i], *lines[i + 1 :]])
    elif how == "swap-lines":
        i = 1 + where % (len(lines) - 3)
        lines[i], lines[i + 1] = lines[i + 1], lines[i]
        text = "\n".join(lines)
    else:  # one row loses a field, another gains one: the comma total stays the same
        i = 1 + where % (len(lines) - 3)
        lines[i] = lines[i].split(",", 1)[1]
        lines[i + 1] += "," + char
        text = "\n".join(lines)
    raw = text.encode("utf-8", "surrogatepass")
    if _is_rejected(raw):
        return
    # Still valid after the change: then it obeys every rule.
    back = read_recording(io.BytesIO(raw))
    times = [f.t_s for f in back]
    assert all(b > a for a, b in itertools.pairwise(times))
    assert all(math.isfinite(v) and v >= 0.0 for f in back for v in f.forces_n)


def _is_rejected(raw: bytes) -> bool:
    """True if the reader rejects ``raw`` properly: a RecordingFormatError with a line.

    Any other exception type escapes and fails the test.
    """
    lines = raw.count(b"\n") + 2
    outcome: list[RecordingFormatError] = []
    try:
        read_recording(io.BytesIO(raw))
    except RecordingFormatError as err:
        outcome.append(err)
    if not outcome:
        return False
    assert 0 <= outcome[0].line <= lines
    assert outcome[0].message
    return True


@given(st.binary(max_size=200))
def test_arbitrary_bytes_are_read_or_rejected(raw: bytes) -> None:
    if not _is_rejected(raw):
        assert read_recording(io.BytesIO(raw))


# -- writer -----------------------------------------------------------------------------------


def test_writer_refuses_what_the_reader_would_reject(tmp_path: Path) -> None:
    path = tmp_path / "keep.csv"
    path.write_text("precious\n")
    for bad, fragment in (
        ([Frame(0.0, 1.0, 2.0, 3.0), Frame(0.0, 1.0, 2.0, 3.0)], "repeats"),
        ([Frame(0.0, -1.0, 2.0, 3.0)], "negative"),
        ([Frame(0.0, math.nan, 2.0, 3.0)], "finite"),
        ([], "no frames"),
    ):
        with pytest.raises(RecordingFormatError, match=fragment):
            write_recording(path, bad)
    # Rounding can merge two times: caught too.
    with pytest.raises(RecordingFormatError, match="repeats"):
        write_recording(path, [Frame(0.001, 1, 1, 1), Frame(0.002, 1, 1, 1)], decimals=2)
    assert path.read_text() == "precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.csv"]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"a,b": [1]}, "without commas"),
        ({"time_s": [1]}, "clashes"),
        ({"note": [1, 2]}, "2 values for 1 frames"),
        ({"note": ["x,y"]}, "contains a comma"),
    ],
)
def test_writer_rejects_bad_extra_columns(extra: dict[str, list[object]], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        write_recording(io.StringIO(), [Frame(0.0, 1.0, 1.0, 1.0)], extra_columns=extra)


def test_negative_zero_is_written_as_zero() -> None:
    text = _text([Frame(0.0, -0.0, 0.0, 1.0)], decimals=2)
    assert text.splitlines()[1] == "0.00,0.00,0.00,1.00"


def test_arrays_match_frames() -> None:
    frames = [Frame(i * 0.01, i, 2.0 * i, 0.5) for i in range(100)]
    arrays = read_recording_arrays(io.StringIO(_text(frames)))
    assert arrays.forces_n.shape == (100, 3)
    np.testing.assert_array_equal(arrays.forces_n[:, 1], [2.0 * i for i in range(100)])
