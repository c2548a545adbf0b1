"""Recording CSV: frames as a plain comma-separated file (import and export).

One header line, then one row per frame::

    time_s,heel_n,little_toe_n,big_toe_n
    0.0,12.5,0.0,9.25
    0.01,12.75,0.0,9.5

============= ==== ===========================================================
column        unit meaning
============= ==== ===========================================================
time_s        s    time from the start of the recording; strictly increasing
heel_n        N    force on the outer heel, >= 0
little_toe_n  N    force on the ball of the little toe, >= 0
big_toe_n     N    force on the ball of the big toe, >= 0
(any other)        export may add columns; import ignores them
============= ==== ===========================================================

Rules the reader enforces (a file that breaks one is rejected as a whole with a
``RecordingFormatError`` naming the 1-based line; the header is line 1):

* the four columns above must be present, each once, in any order among any others;
  header names are matched exactly after stripping surrounding spaces;
* every row has as many fields as the header; fields are plain numbers (no quoting, so
  extra columns must not contain commas);
* every value of the four columns is a finite number; forces are never negative (an FSR
  cannot pull; a tared export clips its noise at 0);
* ``time_s`` strictly increases: a repeated time is rejected like a backward step,
  because downstream filters divide by the frame spacing and a duplicate frame is
  almost always a concatenation or export error;
* at least one frame: an empty file or a header alone is rejected;
* a UTF-8 byte-order mark, CRLF line ends and blank lines at the end are accepted; a
  blank line between rows is not.

Import is all-or-nothing: ``read_recording`` returns frames only when the whole file is
valid. ``iter_recording`` hands out validated chunks for a progress bar but can still
raise on a later chunk; whoever stores them must discard what it has on error (as
``read_recording`` does).

Speed: ``read_recording_arrays`` parses straight into numpy columns (no per-frame
objects); ``read_recording`` builds ``Frame`` tuples from them. Figures are measured by
``python -m benchmarks.recording_csv``.
"""

from __future__ import annotations

import functools
import gc
import math
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import repeat
from pathlib import Path
from typing import IO, NamedTuple

import numpy as np
from numpy.typing import NDArray

from insole.errors import RecordingFormatError
from insole.frames import Frame

REQUIRED_COLUMNS: tuple[str, str, str, str] = ("time_s", "heel_n", "little_toe_n", "big_toe_n")
"""The four columns every recording has, in the order the writer puts them."""

Source = str | os.PathLike[str] | IO[str] | IO[bytes]
"""A path, or an open text or binary file (read from its current position)."""

_INF = math.inf
# tuple.__new__ bound to Frame builds frames without a Python-level call per frame.
_make_frame = functools.partial(tuple.__new__, Frame)


class RecordingArrays(NamedTuple):
    """A recording as columns: ``t_s`` shape (n,), ``forces_n`` shape (n, 3) in SENSORS order."""

    t_s: NDArray[np.float64]
    forces_n: NDArray[np.float64]


class RecordingChunk(NamedTuple):
    """Validated frames from ``iter_recording``: file line of the first, rows done (0..1)."""

    frames: list[Frame]
    first_line: int
    fraction_done: float


# ---------------------------------------------------------------------------------------
# reading


def _read_text(source: Source) -> str:
    """Whole text of ``source`` with a UTF-8 BOM removed."""
    if isinstance(source, str | os.PathLike):
        try:
            raw: str | bytes = Path(source).read_bytes()
        except OSError as err:
            raise RecordingFormatError(0, f"cannot read {os.fspath(source)}: {err}") from err
    else:
        raw = source.read()
    if isinstance(raw, bytes):
        data = raw
        try:
            raw = data.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            line = data.count(b"\n", 0, err.start) + 1
            raise RecordingFormatError(
                line, f"not UTF-8 text (byte 0x{data[err.start]:02x}); save the file as UTF-8"
            ) from err
    return raw.removeprefix("\ufeff")


def _split_lines(text: str) -> tuple[str, list[str]]:
    """Header and data lines (CR stripped, trailing blank lines dropped)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise RecordingFormatError(
            0, "the file is empty; expected a header: " + ",".join(REQUIRED_COLUMNS)
        )
    return lines[0], lines[1:]


def _column_positions(header: str) -> tuple[int, list[int]]:
    """Number of header fields and the positions of the four required columns."""
    names = [name.strip() for name in header.split(",")]
    positions = []
    for column in REQUIRED_COLUMNS:
        count = names.count(column)
        if count > 1:
            raise RecordingFormatError(1, f"column {column} appears {count} times in the header")
        if count == 0:
            missing = [c for c in REQUIRED_COLUMNS if c not in names]
            raise RecordingFormatError(
                1,
                f"missing column(s) {', '.join(missing)}; the header must contain "
                f"{','.join(REQUIRED_COLUMNS)} (other columns are ignored)",
            )
        positions.append(names.index(column))
    return len(names), positions


def _locate_parse_error(
    lines: Sequence[str], first_line: int, n_fields: int, positions: Sequence[int]
) -> RecordingFormatError:
    """Slow path after the fast parse failed: the first faulty line and why."""
    for offset, line in enumerate(lines):
        number = first_line + offset
        if not line.strip():
            return RecordingFormatError(number, "blank line between rows (only allowed at the end)")
        fields = line.split(",")
        if len(fields) != n_fields:
            return RecordingFormatError(
                number, f"has {len(fields)} fields, the header has {n_fields}"
            )
        for column, pos in zip(REQUIRED_COLUMNS, positions, strict=True):
            try:
                float(fields[pos])
            except ValueError:
                return RecordingFormatError(
                    number, f"{column} is not a number: {fields[pos].strip()[:40]!r}"
                )
    return RecordingFormatError(first_line, "could not be parsed")  # pragma: no cover


def _parse_block(
    lines: Sequence[str],
    first_line: int,
    n_fields: int,
    positions: Sequence[int],
    previous_t_s: float,
) -> tuple[list[list[float]], NDArray[np.float64]]:
    """Rows of ``lines`` as the four required columns (lists and an (n, 4) array), validated.

    ``first_line`` is the file line number of ``lines[0]``; ``previous_t_s`` the time of
    the row before the block (-inf at the start) so chunks are checked across borders.
    """
    # Every line must have exactly n_fields - 1 commas; checking the total alone would let
    # a long line and a short line cancel out and shift values between columns.
    if set(map(str.count, lines, repeat(","))) != {n_fields - 1}:
        raise _locate_parse_error(lines, first_line, n_fields, positions)
    fields = ",".join(lines).split(",")
    try:
        columns = [list(map(float, fields[pos::n_fields])) for pos in positions]
    except ValueError:
        raise _locate_parse_error(lines, first_line, n_fields, positions) from None
    table = np.array(columns, dtype=np.float64).T
    _validate_values(table, first_line, previous_t_s)
    return columns, table


def _validate_values(table: NDArray[np.float64], first_line: int, previous_t_s: float) -> None:
    """Finite values, non-negative forces, strictly increasing time (first fault wins)."""
    bad_value = ~np.isfinite(table)
    bad_force = np.zeros_like(bad_value)
    bad_force[:, 1:] = table[:, 1:] < 0.0
    t = table[:, 0]
    with np.errstate(invalid="ignore"):  # inf - inf is NaN, and NaN counts as a bad step
        steps = np.diff(t, prepend=previous_t_s)
    bad_time = ~(steps > 0.0)  # also true for NaN
    bad_time &= ~bad_value[:, 0]  # report a non-finite time as such, not as a step
    bad_rows = bad_value.any(axis=1) | bad_force.any(axis=1) | bad_time
    if not bad_rows.any():
        return
    row = int(np.argmax(bad_rows))
    line = first_line + row
    for col, column in enumerate(REQUIRED_COLUMNS):
        if bad_value[row, col]:
            raise RecordingFormatError(
                line, f"{column} must be a finite number, got {float(table[row, col])!r}"
            )
    for col, column in enumerate(REQUIRED_COLUMNS):
        if bad_force[row, col]:
            raise RecordingFormatError(
                line,
                f"{column} is negative ({float(table[row, col])!r} N); forces must be >= 0 "
                "(clip tare noise at 0 before export)",
            )
    before = previous_t_s if row == 0 else float(t[row - 1])
    now = float(t[row])
    verb = "repeats" if now == before else "goes back from"
    raise RecordingFormatError(
        line,
        f"time_s {verb} the previous row ({now!r} after {before!r}); time must strictly increase",
    )


def _prepare(source: Source) -> tuple[list[str], int, list[int]]:
    """Data lines, header field count and the positions of the required columns."""
    text = _read_text(source)
    header, lines = _split_lines(text)
    n_fields, positions = _column_positions(header)
    if not lines:
        raise RecordingFormatError(2, "no frames after the header")
    return lines, n_fields, positions


def read_recording_arrays(source: Source) -> RecordingArrays:
    """Read and validate a whole recording into numpy columns (fastest form).

    Raises ``RecordingFormatError`` (with the line) for any malformed file; nothing is
    returned unless every row is valid.
    """
    lines, n_fields, positions = _prepare(source)
    _, table = _parse_block(lines, 2, n_fields, positions, -_INF)
    return RecordingArrays(np.ascontiguousarray(table[:, 0]), np.ascontiguousarray(table[:, 1:]))


def _frames_from_columns(columns: list[list[float]]) -> list[Frame]:
    # Building many tuples triggers repeated cyclic-GC passes over every object so far;
    # frames hold only floats, so pausing the collector is safe and about 4x faster.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return list(map(_make_frame, zip(*columns, strict=True)))
    finally:
        if enabled:
            gc.enable()


def iter_recording(source: Source, *, chunk_rows: int = 20_000) -> Iterator[RecordingChunk]:
    """Yield validated chunks of frames with the fraction of the file done so far.

    Every chunk is checked before it is yielded (times are checked across chunk
    borders), but a later chunk can still raise ``RecordingFormatError``: a caller that
    imports must drop everything it got on error. Header faults raise before the first
    chunk.
    """
    if chunk_rows < 1:
        raise ValueError(f"chunk_rows must be at least 1, got {chunk_rows}")
    lines, n_fields, positions = _prepare(source)
    previous_t_s = -_INF
    for start in range(0, len(lines), chunk_rows):
        block = lines[start : start + chunk_rows]
        columns, _ = _parse_block(block, start + 2, n_fields, positions, previous_t_s)
        previous_t_s = columns[0][-1]
        done = (start + len(block)) / len(lines)
        yield RecordingChunk(_frames_from_columns(columns), start + 2, done)


def read_recording(
    source: Source, *, progress: Callable[[float], None] | None = None
) -> list[Frame]:
    """Read and validate a whole recording; all frames or a ``RecordingFormatError``.

    ``progress`` (optional) is called with the fraction done (0..1) as the file is
    parsed, for a progress bar; the frames are still returned only if the whole file
    is valid.
    """
    if progress is None:
        lines, n_fields, positions = _prepare(source)
        columns, _ = _parse_block(lines, 2, n_fields, positions, -_INF)
        return _frames_from_columns(columns)
    frames: list[Frame] = []
    for chunk in iter_recording(source):
        frames.extend(chunk.frames)
        progress(chunk.fraction_done)
    return frames


# ---------------------------------------------------------------------------------------
# writing


def _formatter(decimals: int | None) -> Callable[[object], str]:
    """Text for one value: shortest exact form, or fixed decimals (never "-0.00")."""
    if decimals is None:
        return lambda value: repr(float(value))  # type: ignore[arg-type]
    negative_zero = "-0." + "0" * decimals if decimals else "-0"

    def fixed(value: object) -> str:
        text = f"{float(value):.{decimals}f}"  # type: ignore[arg-type]
        return text[1:] if text == negative_zero else text

    return fixed


def _check_extra(extra_columns: Mapping[str, Sequence[object]], rows: int) -> list[str]:
    names = []
    for name, values in extra_columns.items():
        clean = name.strip()
        if not clean or clean != name or any(c in name for c in ',"\r\n'):
            raise ValueError(
                f"extra column name {name!r} must be non-empty text without "
                "commas, quotes, line breaks or surrounding spaces"
            )
        if clean in REQUIRED_COLUMNS:
            raise ValueError(f"extra column {name!r} clashes with a required column")
        if len(values) != rows:
            raise ValueError(f"extra column {name!r} has {len(values)} values for {rows} frames")
        for value in values:
            if any(c in str(value) for c in ',"\r\n'):
                raise ValueError(
                    f"extra column {name!r} value {value!r} contains a comma, quote or line break"
                )
        names.append(clean)
    if len(set(names)) != len(names):
        raise ValueError("extra column names must be unique")
    return names


def _rows_text(
    frames: Sequence[Frame], decimals: int | None, extra_columns: Mapping[str, Sequence[object]]
) -> list[str]:
    """One text line (without line end) per frame."""
    fmt = _formatter(decimals)
    lines = [",".join(map(fmt, frame)) for frame in frames]
    for values in extra_columns.values():
        texts = [fmt(v) if isinstance(v, float) else str(v) for v in values]
        lines = [f"{line},{text}" for line, text in zip(lines, texts, strict=True)]
    return lines


def write_recording(
    target: str | os.PathLike[str] | IO[str],
    frames: Iterable[Frame],
    extra_columns: Mapping[str, Sequence[object]] | None = None,
    *,
    decimals: int | None = None,
) -> int:
    """Write ``frames`` as a recording CSV; returns the number of rows written.

    ``extra_columns`` maps further column names to one value per frame (export adds
    e.g. a balanced flag). ``decimals`` rounds every float (None keeps full precision so
    the file reads back bit for bit). The frames are validated first with the reader's
    rules, so nothing that the reader would reject is ever written; a path is written
    through a temporary file and renamed, so a failed write leaves no half file.
    """
    rows = list(frames)
    extra = dict(extra_columns or {})
    names = _check_extra(extra, len(rows))
    if decimals is not None and not 0 <= decimals <= 12:
        raise ValueError(f"decimals must be from 0 to 12 or None, got {decimals}")
    if not rows:
        raise RecordingFormatError(2, "no frames to write; a recording needs at least one")
    lines = _rows_text(rows, decimals, extra)
    # Check the very text about to be written with the reader's own rules.
    _parse_block(lines, 2, len(REQUIRED_COLUMNS) + len(names), [0, 1, 2, 3], -_INF)
    text = ",".join((*REQUIRED_COLUMNS, *names)) + "\n" + "\n".join(lines) + "\n"
    if not isinstance(target, str | os.PathLike):
        target.write(text)
        return len(rows)
    path = Path(target)
    # mkstemp creates the file private (0600); give it the mode a plain open() would
    # have had, or keep the mode of the file being replaced.
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return len(rows)
