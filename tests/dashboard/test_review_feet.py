"""Left/right symmetry on the review pages: two linked sessions made by the two-insole
monitor in a real SQLite log, shown on both sessions' pages and in the report."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from dashboard.review_data import summary_dict
from dashboard.review_feet import feet_symmetry
from firmware.feet_adc import FeetFrame
from firmware.feet_monitor import FeetMonitor
from firmware.monitor import SourceInfo
from insole.frames import VoltsFrame
from insole.store import SessionLog
from tests.scripted import HOLD, REST, scripted, to_volts

HALF = (22.5, 10.0, 17.5)  # half of HOLD on each point


def record_two_foot_set(path: Path) -> dict[str, int]:
    """A set in which the left foot carries twice the right's load; returns the ids."""
    source = SourceInfo("emulated", True, "test", "both")
    with SessionLog(path) as log, FeetMonitor(log, source) as mon:
        lefts = to_volts(scripted([(1, REST), (9, HOLD), (2, REST), (9, HOLD), (1, REST)]))
        rights = to_volts(scripted([(1, REST), (9, HALF), (2, REST), (4, HALF), (6, REST)]))
        mon.start_set("arch_hold")
        ids: dict[str, int] = mon.status()["set"]["session_ids"]
        for lf, rf in zip(lefts, rights, strict=True):
            mon.on_feet(FeetFrame(lf.t_s, VoltsFrame(*lf), VoltsFrame(*rf)))
        mon.stop_set()
    return ids


@pytest.fixture
def ids(tmp_path: Path) -> dict[str, int]:
    return record_two_foot_set(tmp_path / "sessions.sqlite3")


@pytest.fixture
def log(tmp_path: Path, ids: dict[str, int]) -> Iterator[SessionLog]:
    """The log opened after the set was recorded (conftest's app and client read it)."""
    with SessionLog(tmp_path / "sessions.sqlite3") as session_log:
        yield session_log


def test_figures_from_both_sessions(log: SessionLog, ids: dict[str, int]) -> None:
    figures = feet_symmetry(log, summary_dict(log.get_session(ids["right"])))
    stored = log.get_session(ids["left"]).meta["symmetry"]
    assert figures is not None
    # Recomputed from the logged frames, the figures agree with the monitor's own.
    assert figures["left_load_share"] == pytest.approx(stored["left_load_share"], abs=0.01)
    assert figures["load_asymmetry_pct"] == pytest.approx(stored["load_asymmetry_pct"], abs=1.0)
    assert figures["left_load_share"] == pytest.approx((13 * 2 / 3 + 5) / 18, abs=0.01)
    assert figures["feet"]["left"]["correct"] == 2
    assert (figures["feet"]["right"]["correct"], figures["feet"]["right"]["attempted"]) == (1, 2)
    assert figures["feet"]["right"]["this"] is True
    assert figures["paired_s"] == pytest.approx(18.0, abs=0.2)
    assert figures["score_gap"] is not None


def test_session_page_and_report_show_left_and_right(
    client: FlaskClient, ids: dict[str, int]
) -> None:
    for url in (f"/review/{ids['left']}", f"/review/{ids['right']}/report"):
        html = client.get(url).get_data(as_text=True)
        assert 'id="feet-symmetry"' in html
        assert "Left and right" in html
        assert re.search(r"Load share: left 7\d %, right 2\d %", html)
        index = re.search(r'id="feet-index">([^<]+)<', html)
        assert index is not None
        assert float(index.group(1).replace("%", "")) > 40  # well to the left
        assert re.search(r"<td>2 / 2</td>", html)
        assert re.search(r"<td>1 / 2</td>", html)
    # Each page links to the other foot's session.
    html = client.get(f"/review/{ids['left']}").get_data(as_text=True)
    assert f'href="/review/{ids["right"]}"' in html
    german = client.get(f"/review/{ids['left']}", headers={"Accept-Language": "de"})
    assert "Links und rechts" in german.get_data(as_text=True)


def test_one_foot_sessions_and_a_deleted_partner(
    client: FlaskClient, log: SessionLog, ids: dict[str, int]
) -> None:
    single = log.start_session(
        started_at=datetime(2026, 1, 5, tzinfo=UTC), exercise="arch_hold", foot="left",
        source="emulated", settings={}, calibration_id=None,
    )
    log.end_session(single, datetime(2026, 1, 5, 0, 1, tzinfo=UTC))
    log.delete_session(ids["right"])
    assert 'id="feet-symmetry"' not in client.get(f"/review/{single}").get_data(as_text=True)
    html = client.get(f"/review/{ids['left']}").get_data(as_text=True)
    assert "no longer in the log" in html
