"""Bad input, generated: every parser and validator rejects with the project's error type.

Hypothesis throws arbitrary and near-valid input at the recording CSV reader, the settings
and calibration validators, the curve fit, the simulator's script parser, backup restore
and the check of uploaded backups. Each either accepts the input or raises an
``InsoleError`` whose message is not empty; any other exception type is a bug (a 500 on
the dashboard, a traceback on the CLI).
"""

from __future__ import annotations

import functools
import io
import string
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insole.backup_check import REASONS, BackupRejectedError, prepare_backup
from insole.calibration import Calibration, fit_curve
from insole.errors import InsoleError
from insole.recording_csv import read_recording
from insole.sensor_model import Divider
from insole.settings import Settings
from insole.sim_script import Script
from insole.store import SessionLog
from tests.dashboard.data_support import fill_log

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


def rejected_properly(call: Any, *args: Any) -> None:
    message = "accepted"
    try:
        call(*args)
    except InsoleError as err:
        message = str(err).strip()
    assert message, f"empty message from {call!r}"


csv_cells = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-5, 10**6).map(str),
    st.text(alphabet=string.printable, max_size=6),
)


@FAST
@given(
    header=st.sampled_from(
        ["time_s,heel_n,little_toe_n,big_toe_n", "time_s,heel_n,little_toe_n", "", "a,b,c",
         "time_s,heel_n,little_toe_n,big_toe_n,extra"]
    ),
    rows=st.lists(st.lists(csv_cells, min_size=0, max_size=6), max_size=8),
)
def test_recording_csv_reader(header: str, rows: list[list[str]]) -> None:
    text = "\n".join([header, *(",".join(r) for r in rows)])
    rejected_properly(read_recording, io.StringIO(text))


@FAST
@given(st.binary(max_size=200))
def test_recording_csv_reader_on_bytes(data: bytes) -> None:
    rejected_properly(read_recording, io.BytesIO(data))


setting_names = st.sampled_from([*list(Settings().to_dict()), "unknown", ""])


@FAST
@given(st.dictionaries(setting_names, json_values, max_size=5))
def test_settings_from_dict(data: dict[str, Any]) -> None:
    rejected_properly(Settings.from_dict, data)


@FAST
@given(st.one_of(json_values, st.dictionaries(st.sampled_from(
    [*list(Calibration().to_dict()), "sensors", "x"]), json_values, max_size=4)))
def test_calibration_from_dict(data: Any) -> None:
    if not isinstance(data, dict):
        data = {"sensors": data}
    rejected_properly(Calibration.from_dict, data)


@FAST
@given(
    st.lists(
        st.tuples(st.floats(allow_nan=True, allow_infinity=True),
                  st.floats(allow_nan=True, allow_infinity=True)),
        max_size=6,
    )
)
def test_fit_curve(points: list[tuple[float, float]]) -> None:
    rejected_properly(fit_curve, points, Divider())


script_words = st.sampled_from(
    ["rest", "hold", "lift", "wobble", "drift", "heel", "big_toe", "little_toe", ";", "9",
     "-1", "nan", "1e9", "0", "x", "load", "="]
)


@FAST
@given(st.one_of(st.lists(script_words, max_size=10).map(" ".join), st.text(max_size=30)))
def test_simulator_script_parser(text: str) -> None:
    rejected_properly(Script.parse, text)


@pytest.mark.parametrize(
    "content",
    [b"", b"not a database", b"SQLite format 3\x00" + b"\x00" * 200, b"\xff" * 4096],
)
def test_restoring_a_bad_backup_changes_nothing(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "backup.sqlite3"
    bad.write_bytes(content)
    with SessionLog(tmp_path / "log.sqlite3") as log:
        from datetime import UTC, datetime
        sid = log.start_session(started_at=datetime.now(UTC), exercise="arch_hold",
                                foot="right", source="test", settings={})
        log.end_session(sid, datetime.now(UTC))
        with pytest.raises(InsoleError) as raised:
            log.restore(bad)
        assert str(raised.value)
        assert [s.id for s in log.list_sessions()] == [sid]
        assert log.integrity_check() == ["ok"]


# -- imported backups (the "Your data" restore) -----------------------------------------------
# The parametrised test above feeds whole-file junk to SessionLog.restore; these throw random
# and damaged files at the upload check that runs before it (insole.backup_check).


@functools.cache
def _sound_backup() -> bytes:
    """A real backup with sessions, holds, frames, a rep, a runner, a calibration, settings."""
    with tempfile.TemporaryDirectory() as temp, SessionLog(Path(temp) / "s.sqlite3") as log:
        fill_log(log, sessions=2)
        log.backup(Path(temp) / "b.sqlite3")
        return (Path(temp) / "b.sqlite3").read_bytes()


def _check_upload(content: bytes) -> None:
    """Accepted files must restore into a live log and read back; rejections must explain."""
    with tempfile.TemporaryDirectory() as temp:
        upload, work = Path(temp) / "upload.sqlite3", Path(temp) / "work.sqlite3"
        upload.write_bytes(content)
        rejection: BackupRejectedError | None = None
        try:
            info = prepare_backup(upload, work, max_bytes=len(_sound_backup()) + 4096)
        except BackupRejectedError as err:
            rejection = err
        if rejection is not None:
            assert rejection.reason in REASONS
            assert str(rejection).strip()
            assert not work.exists()
            assert upload.read_bytes() == content  # the upload itself is never changed
            return
        with SessionLog(Path(temp) / "live.sqlite3") as log:
            log.restore(work)
            sessions = log.list_sessions()
            assert len(sessions) == info.sessions
            for summary in sessions:
                log.holds(summary.id)
                log.frames_array(summary.id)
            assert log.integrity_check() == ["ok"]


@FAST
@given(st.one_of(st.binary(max_size=600), st.binary(max_size=600).map(
    lambda tail: b"SQLite format 3\x00" + tail)))
def test_backup_check_on_random_files(content: bytes) -> None:
    _check_upload(content)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_backup_check_on_truncated_and_damaged_backups(data: st.DataObject) -> None:
    sound = _sound_backup()
    kind = data.draw(st.sampled_from(["truncate", "flip", "overwrite"]))
    damaged = bytearray(sound)
    if kind == "truncate":
        damaged = damaged[: data.draw(st.integers(0, len(sound) - 1))]
    elif kind == "flip":
        for _ in range(data.draw(st.integers(1, 8))):
            position = data.draw(st.integers(0, len(sound) - 1))
            damaged[position] ^= data.draw(st.integers(1, 255))
    else:
        start = data.draw(st.integers(0, len(sound) - 1))
        junk = data.draw(st.binary(min_size=1, max_size=512))
        damaged[start : start + len(junk)] = junk
    _check_upload(bytes(damaged))


def test_the_sound_backup_itself_is_accepted() -> None:
    # Without this the damage tests could pass by rejecting everything.
    with tempfile.TemporaryDirectory() as temp:
        upload = Path(temp) / "upload.sqlite3"
        upload.write_bytes(_sound_backup())
        info = prepare_backup(upload, Path(temp) / "work.sqlite3", max_bytes=10**8)
    assert (info.sessions, info.holds, info.runners, info.calibrations) == (2, 4, 1, 1)
