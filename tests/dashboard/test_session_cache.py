"""The cache of finished sessions' plots and exports: right bytes, never stale, bounded."""

from __future__ import annotations

import gzip
import io
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from flask.testing import FlaskClient

from dashboard import create_app
from dashboard.access.testing import LOCAL_TEST_CONFIG, local_test_client
from dashboard.session_cache import (
    SessionCache,
    finished_key,
    gunzip_bytes,
    gunzip_chunks,
    gzip_bytes,
    kept_while_streamed,
)
from insole.recording_csv import read_recording
from insole.store import SessionLog
from tests.dashboard.review_support import make_hold, record_session, synthetic_frames

STARTED = datetime(2026, 11, 3, 7, 0, tzinfo=UTC)
EXPORTS = ("/review/{id}/frames.csv", "/review/{id}/session.json", "/api/sessions/{id}/frames")


def cache_of(app: Flask) -> SessionCache:
    cache: SessionCache = app.extensions["insole_session_cache"]
    return cache


def finished(log: SessionLog, seed: int = 1, seconds: float = 60.0) -> int:
    holds = [make_hold(10.0, 9.0, 81.5)]
    frames = synthetic_frames(seconds, seed=seed)
    return record_session(log, started_at=STARTED, frames=frames, holds=holds)


def body(client: FlaskClient, path: str, **headers: str) -> bytes:
    with client.get(path, headers=headers) as response:
        assert response.status_code == 200, (path, response.status_code)
        if response.mimetype != "text/html":  # a download: with or without gzip
            assert "Accept-Encoding" in response.vary
        return response.get_data()


# -- the cache itself ----------------------------------------------------------------------


def test_least_recently_used_entries_go_first_and_the_total_stays_bounded() -> None:
    cache = SessionCache(max_bytes=400)
    for n in range(4):
        assert cache.put((n, "x"), bytes(100))
    assert cache.get((0, "x")) is not None  # 0 is now the most recently used
    assert cache.put((4, "x"), bytes(100))
    assert cache.get((1, "x")) is None
    assert [cache.get((n, "x")) is not None for n in (0, 2, 3, 4)] == [True] * 4
    assert cache.stats()["bytes"] == 400


def test_an_entry_over_a_quarter_of_the_total_is_refused() -> None:
    cache = SessionCache(max_bytes=400)
    assert not cache.put((1, "big"), bytes(101))
    assert cache.put((1, "fits"), bytes(100))
    assert cache.stats() == {"entries": 1, "bytes": 100, "max_bytes": 400, "hits": 0,
                             "misses": 0}


def test_discarding_a_session_drops_only_its_entries() -> None:
    cache = SessionCache(max_bytes=1000)
    cache.put((1, "a"), b"1a")
    cache.put((1, "b"), b"1b")
    cache.put((2, "a"), b"2a")
    cache.discard_session(1)
    assert cache.get((1, "a")) is None
    assert cache.get((1, "b")) is None
    assert cache.get((2, "a")) == b"2a"
    assert cache.stats()["bytes"] == 2
    cache.clear()
    assert cache.stats()["entries"] == 0
    assert cache.get((2, "a")) is None


def test_a_negative_size_is_refused_with_the_rule() -> None:
    with pytest.raises(ValueError, match="0 or more"):
        SessionCache(-1)


def test_a_recording_session_has_no_key_and_any_change_of_a_finished_one_a_new_key() -> None:
    summary = {"id": 3, "status": "completed", "ended_at": "2026-11-03T07:10:00+00:00",
               "meta": {}, "runner_id": None, "correct": 2}
    assert finished_key({**summary, "status": "open"}, "frames.csv") is None
    key = finished_key(summary, "frames.csv")
    assert key is not None
    assert key[0] == 3
    assert finished_key(dict(reversed(summary.items())), "frames.csv") == key
    for change in ({"runner_id": 2}, {"meta": {"note": "x"}}, {"status": "interrupted"},
                   {"correct": 3}):
        assert finished_key({**summary, **change}, "frames.csv") != key
    assert finished_key(summary, "session.json") != key


def test_gzip_round_trips_whole_and_in_pieces() -> None:
    text = ("".join(f"{n},{n * 0.5:.4f}\n" for n in range(40_000))).encode()
    packed = gzip_bytes(text)
    assert len(packed) < len(text) / 2
    assert gunzip_bytes(packed) == text == gzip.decompress(packed)
    pieces = list(gunzip_chunks(packed))
    assert len(pieces) > 1
    assert b"".join(pieces) == text


def test_a_copy_is_kept_only_when_every_chunk_went_out() -> None:
    cache = SessionCache(max_bytes=1_000_000)
    chunks = [f"row {n}\n" * 50 for n in range(10)]
    stream = kept_while_streamed(iter(chunks), cache, (1, "partial"))
    next(stream)
    stream.close()  # the client went away after the first chunk
    assert cache.get((1, "partial")) is None
    sent = b"".join(kept_while_streamed(iter(chunks), cache, (1, "whole")))
    kept = cache.get((1, "whole"))
    assert kept is not None
    assert gunzip_bytes(kept) == sent == "".join(chunks).encode()


def test_a_copy_larger_than_an_entry_is_not_kept_but_still_sent_whole() -> None:
    cache = SessionCache(max_bytes=4_000)
    rng = np.random.default_rng(5)
    chunks = [",".join(f"{v:.6f}" for v in rng.random(200)) + "\n" for _ in range(20)]
    sent = b"".join(kept_while_streamed(iter(chunks), cache, (1, "long")))
    assert sent == "".join(chunks).encode()
    assert cache.stats()["entries"] == 0


# -- in the dashboard ----------------------------------------------------------------------


@pytest.mark.parametrize("template", EXPORTS)
def test_a_finished_sessions_export_is_the_same_from_the_cache_plain_or_gzipped(
    app: Flask, client: FlaskClient, log: SessionLog, template: str
) -> None:
    path = template.format(id=finished(log))
    first = body(client, path)
    assert cache_of(app).stats()["entries"] == 1
    assert body(client, path) == first
    with client.get(path, headers={"Accept-Encoding": "gzip, deflate"}) as response:
        assert response.headers["Content-Encoding"] == "gzip"
        packed = response.get_data()
    assert gzip.decompress(packed) == first
    assert cache_of(app).stats()["hits"] == 2


def test_the_review_json_and_the_api_frames_share_one_entry(
    app: Flask, client: FlaskClient, log: SessionLog
) -> None:
    sid = finished(log)
    review_json = body(client, f"/review/{sid}/session.json")
    assert review_json == body(client, f"/api/sessions/{sid}/frames")
    assert cache_of(app).stats() == {**cache_of(app).stats(), "entries": 1, "hits": 1}


def test_a_session_still_recording_is_never_cached_and_its_export_grows(
    app: Flask, client: FlaskClient, log: SessionLog
) -> None:
    frames = synthetic_frames(20.0)
    sid = record_session(log, started_at=STARTED, frames=frames[:1000], holds=[], status=None)
    early = read_recording(io.StringIO(body(client, f"/review/{sid}/frames.csv").decode()))
    log.append_frames(sid, frames[1000:])
    log.flush()
    later = read_recording(io.StringIO(body(client, f"/review/{sid}/frames.csv").decode()))
    assert (len(early), len(later)) == (1000, 2000)
    assert cache_of(app).stats()["entries"] == 0


def test_the_detail_page_plots_come_from_the_cache_in_the_page_language(
    app: Flask, client: FlaskClient, log: SessionLog
) -> None:
    sid = finished(log)

    def plots(page: bytes) -> list[str]:
        return re.findall(r"<svg.*?</svg>", page.decode(), flags=re.S)

    english = plots(body(client, f"/review/{sid}"))
    assert len(english) == 2  # timeline and one hold's centre-of-pressure path
    assert plots(body(client, f"/review/{sid}/report")) == english  # one entry, both pages
    assert cache_of(app).stats()["hits"] == 1
    german = plots(body(client, f"/review/{sid}", **{"Accept-Language": "de"}))
    assert german != english
    assert "Zeit" in german[0]
    assert cache_of(app).stats()["entries"] == 2


def test_a_deleted_session_leaves_nothing_in_the_cache(
    app: Flask, client: FlaskClient, log: SessionLog
) -> None:
    sid, other = finished(log), finished(log, seed=2)
    for path in (f"/review/{sid}/frames.csv", f"/review/{other}/frames.csv", f"/review/{sid}"):
        body(client, path)
    assert cache_of(app).stats()["entries"] == 3
    assert client.delete(f"/api/sessions/{sid}").status_code == 204
    assert cache_of(app).stats()["entries"] == 1
    assert client.get(f"/review/{sid}/frames.csv").status_code == 404


def test_after_deleting_everything_a_new_session_with_the_old_id_exports_its_own_frames(
    tmp_path: Path,
) -> None:
    # The new session has the same id, start, length and holds as the deleted one: only its
    # frames differ, so only emptying the cache keeps the old export from being served.
    with SessionLog(tmp_path / "sessions.sqlite3") as log:
        app = create_app({"TESTING": True, **LOCAL_TEST_CONFIG,
                          "INSOLE_DATA_DIR": str(tmp_path)}, log=log)
        client = local_test_client(app)
        sid = finished(log, seed=1)
        old = body(client, f"/review/{sid}/frames.csv")
        assert client.post("/data/delete", json={"confirm": "DELETE"}).status_code == 200
        assert cache_of(app).stats()["entries"] == 0
        assert finished(log, seed=2) == sid
        new = body(client, f"/review/{sid}/frames.csv")
        assert new != old
        logged = log.frames_array(sid)
        np.testing.assert_allclose(
            np.array(read_recording(io.StringIO(new.decode()))), logged, rtol=0, atol=0.005
        )


def test_a_cache_of_size_zero_keeps_nothing_and_answers_the_same(
    log: SessionLog, client: FlaskClient
) -> None:
    sid = finished(log)
    app = create_app({"TESTING": True, **LOCAL_TEST_CONFIG, "INSOLE_SESSION_CACHE_BYTES": 0},
                     log=log)
    uncached = local_test_client(app)
    for template in EXPORTS:
        path = template.format(id=sid)
        assert body(uncached, path) == body(client, path)
    assert cache_of(app).stats()["entries"] == 0
