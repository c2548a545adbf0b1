"""Readers in other threads see consistent, growing data while one thread writes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from insole.store import SessionLog
from tests.test_store_support import make_hold, realistic_frames, session_kwargs


def test_reader_threads_while_writing(tmp_path: Path) -> None:
    frames = realistic_frames(3000, seed=11)
    errors: list[BaseException] = []
    observations: list[tuple[int, int]] = []
    done = threading.Event()
    seen_changed = threading.Condition()

    def wait_until_a_reader_sees(hold_count: int) -> None:
        with seen_changed:
            seen_changed.wait_for(
                lambda: errors or any(h >= hold_count for _, h in observations), timeout=20
            )

    with SessionLog(tmp_path / "sessions.sqlite3") as log:
        sid = log.start_session(**session_kwargs())

        def read_loop() -> None:
            try:
                last_frames = last_holds = 0
                while not done.is_set():
                    seen = log.frames_array(sid)
                    holds = log.holds(sid)
                    summary = log.get_session(sid)
                    # Always a prefix of what was written, never shrinking or doubled.
                    assert seen.shape[0] >= last_frames
                    assert np.allclose(seen, frames[: seen.shape[0]], atol=0.006)
                    assert len(holds) >= last_holds
                    assert summary.attempted >= last_holds
                    log.list_sessions()
                    last_frames, last_holds = seen.shape[0], len(holds)
                    with seen_changed:
                        observations.append((last_frames, last_holds))
                        seen_changed.notify_all()
            except BaseException as err:  # reported to the main thread below
                errors.append(err)

        readers = [threading.Thread(target=read_loop, name=f"reader-{i}") for i in range(3)]
        for reader in readers:
            reader.start()
        try:
            for start in range(0, len(frames), 10):
                log.append_frames(sid, frames[start : start + 10])
                if start % 500 == 0:
                    log.add_hold(sid, make_hold(frames[start, 0]))
                    # Let a reader look while the session is still being written.
                    wait_until_a_reader_sees(start // 500 + 1)
        finally:
            done.set()
            for reader in readers:
                reader.join(timeout=30)
        assert not errors, errors
        # The readers saw every intermediate hold count, each with frames written so far.
        assert {h for _, h in observations} >= {1, 2, 3, 4, 5}
        assert any(0 < f < len(frames) for f, _ in observations)
        assert log.frames_array(sid).shape == frames.shape
        assert len(log.holds(sid)) == 6
