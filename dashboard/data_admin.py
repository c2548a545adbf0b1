"""Your data: download a backup, restore one, delete everything (``/data``).

- ``GET /data/backup`` streams a consistent copy of the session log (SQLite's online
  backup API, taken while the device keeps logging) as an attachment. The copy is made in
  the data directory, opened, and unlinked before the first byte is sent, so no copy is
  left behind even when the download is abandoned.
- ``POST /data/restore`` takes the backup file as the raw request body (the page's script
  sends it with ``fetch`` and the ``X-CSRF-Token`` header; a multipart form would be parsed
  by the CSRF check itself, under the app's 1 MB body limit, before this view could raise
  the limit for itself). The body goes to a private directory inside the data directory,
  is checked in full by :func:`insole.backup_check.prepare_backup`, and only then replaces
  the log. A copy of the
  current data is taken first and put back if the replacement fails half-way.
- ``POST /data/delete`` deletes everything in the session log once the confirmation word
  is typed (``SessionLog.delete_all``: zeroed pages, VACUUM, WAL truncated).

Restore and delete are refused with 409 while a set runs, and one at a time. What "all
my data" covers is written in docs/storage.md.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import wrap_file

from dashboard import session_cache
from dashboard.access import gate
from dashboard.api_errors import error_response
from dashboard.context import get_log
from dashboard.forms import current_translate
from insole.backup_check import BackupInfo, BackupRejectedError, prepare_backup
from insole.errors import InsoleError
from insole.store import LogInputError

bp = Blueprint("data_admin", __name__, url_prefix="/data")

DEFAULT_BACKUP_MAX_BYTES = 256_000_000
"""Largest backup accepted for restore (config ``INSOLE_BACKUP_MAX_BYTES``).

An hour of frames takes about 1.4 MB, so this holds some 180 hours of exercise: years of
daily sets. The body is streamed to disk, never held in memory."""

CONFIRM_WORDS = ("DELETE", "LÖSCHEN")
"""Typing either word (any case) confirms "delete all my data" (English and German page)."""

BACKUP_MIME = "application/vnd.sqlite3"
UPLOAD_TYPES = (BACKUP_MIME, "application/x-sqlite3", "application/octet-stream")
TEMP_PREFIXES = (".backup-", ".restore-")
"""Names of the temporary files and directories this module makes in the data directory."""
KEPT_PREFIX = "sessions.before-restore-"
"""A safety copy is kept under this name only when putting it back failed as well."""

_CHUNK_BYTES = 1024 * 1024
_LOCK_KEY = "insole_data_admin_lock"
T = TypeVar("T")


def _lock() -> threading.Lock:
    """One restore or delete at a time per app (setdefault: two first requests share one)."""
    lock: threading.Lock = current_app.extensions.setdefault(_LOCK_KEY, threading.Lock())
    return lock


def _max_bytes() -> int:
    return int(current_app.config.get("INSOLE_BACKUP_MAX_BYTES", DEFAULT_BACKUP_MAX_BYTES))


def _data_dir(log: Any) -> Path:
    return Path(log.path).parent


def _set_running() -> bool:
    """Whether the monitor runs a set (without a monitor the log itself refuses: 409 too)."""
    monitor = current_app.extensions.get("insole_monitor")
    return monitor is not None and bool(monitor.status()["set"]["running"])


def _set_conflict(err: InsoleError) -> bool:
    """A set is running or starting: ``SetStateError`` (a RuntimeError) or ``LogInputError``."""
    return isinstance(err, RuntimeError | LogInputError)


def _replace(action: Callable[[Any], T]) -> T:
    """Run a whole-log action through the monitor (no set may run), or on the log itself."""
    monitor = current_app.extensions.get("insole_monitor")
    try:
        if monitor is not None:
            result: T = monitor.replace_stored_data(action)
            return result
        return action(get_log())
    finally:
        # Whatever happened, ids may now name other sessions: nothing cached may outlive it.
        session_cache.get_cache().clear()


# --------------------------------------------------------------------------- page


@bp.get("/")
def page() -> str:
    """What is stored, and the three actions."""
    done = request.args.get("done")
    return _render_page(done=done if done in ("deleted", "restored") else None)


def _render_page(*, done: str | None = None, error: str | None = None) -> str:
    log = get_log()
    size_bytes = sum(
        path.stat().st_size
        for path in (Path(log.path), Path(f"{log.path}-wal"))
        if path.exists()
    )
    return render_template(
        "data_admin.html",
        sessions=len(log.list_sessions()),
        runners=len(log.list_runners()),
        size_mb=size_bytes / 1e6,
        max_mb=_max_bytes() / 1e6,
        running=_set_running(),
        done=done,
        error=error,
        confirm_word=current_translate()("data.confirm_word"),
        upload_type=BACKUP_MIME,
    )


# --------------------------------------------------------------------------- backup


@bp.get("/backup")
def backup() -> ResponseReturnValue:
    """A consistent copy of the whole session log, as a download."""
    log = get_log()
    handle, temp_name = tempfile.mkstemp(
        prefix=TEMP_PREFIXES[0], suffix=".sqlite3", dir=_data_dir(log)
    )
    os.close(handle)
    temp = Path(temp_name)
    try:
        log.backup(temp)
        _self_contained(temp)
        stream = temp.open("rb")
    except (InsoleError, OSError, sqlite3.Error) as err:
        current_app.logger.error("backup failed: %s", err)
        return error_response(503, current_translate()("data.backup_failed", reason=str(err)))
    finally:
        # Unlinked before the first byte is sent: the open file keeps the data readable for
        # this response only, and nothing stays on disk whatever happens to the download.
        _remove_database(temp)
    size_bytes = os.fstat(stream.fileno()).st_size
    name = datetime.now(UTC).strftime("insole-backup-%Y-%m-%d-%H%M%S.sqlite3")
    response = Response(
        wrap_file(request.environ, stream), mimetype=BACKUP_MIME, direct_passthrough=True
    )
    response.content_length = size_bytes
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _self_contained(path: Path) -> None:
    """Switch the copy from WAL to a rollback journal: one file that opens anywhere."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = DELETE").fetchone()
    finally:
        conn.close()


def _remove_database(path: Path) -> None:
    for suffix in ("", ".partial", "-journal", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


# --------------------------------------------------------------------------- restore


@bp.post("/restore")
def restore() -> ResponseReturnValue:
    """Replace every stored session by the backup sent as the request body."""
    t = current_translate()
    if request.mimetype not in UPLOAD_TYPES:
        return error_response(
            415, t("data.error.upload_type", allowed=", ".join(UPLOAD_TYPES)), "body"
        )
    if _set_running():
        return error_response(409, t("data.error.running"))
    lock = _lock()
    if not lock.acquire(blocking=False):
        return error_response(409, t("data.error.busy"))
    try:
        return _restore_locked()
    finally:
        lock.release()


def _restore_locked() -> ResponseReturnValue:
    t = current_translate()
    log = get_log()
    limit = _max_bytes()
    # The body limit for this request only (the app's 1 MB stays for everything else).
    request.max_content_length = limit
    with tempfile.TemporaryDirectory(prefix=TEMP_PREFIXES[1], dir=_data_dir(log)) as temp:
        work = Path(temp)
        upload = work / "upload.sqlite3"
        try:
            _receive(upload, limit)
        except RequestEntityTooLarge:
            return _rejected(BackupRejectedError(
                "too_large", f"the file is larger than {limit} bytes"
            ), limit)
        try:
            info = prepare_backup(upload, work / "restore.sqlite3", max_bytes=limit)
        except BackupRejectedError as err:
            current_app.logger.warning("restore refused: %s", err)
            return _rejected(err, limit)
        upload.unlink()
        safety = work / "before-restore.sqlite3"
        try:
            log.backup(safety)
        except InsoleError as err:
            return error_response(503, t("data.restore_failed", reason=str(err)))
        try:
            _replace(lambda store: store.restore(work / "restore.sqlite3"))
        except InsoleError as err:
            if _set_conflict(err):  # a set started meanwhile; nothing was changed
                return error_response(409, t("data.error.running"))
            current_app.logger.error("restore failed, putting the old data back: %s", err)
            return _put_back(safety, err)
    current_app.logger.info("restored a backup with %d sessions", info.sessions)
    return jsonify({"restored": True, "backup": info.to_dict(),
                    "message": _summary_text(info)})


def _receive(dest: Path, limit: int) -> None:
    """Copy the request body to ``dest``, at most ``limit`` bytes (413 beyond)."""
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge()
    received = 0
    with dest.open("wb") as out:
        while chunk := request.stream.read(_CHUNK_BYTES):
            received += len(chunk)
            if received > limit:
                raise RequestEntityTooLarge()
            out.write(chunk)


def _rejected(err: BackupRejectedError, limit: int) -> ResponseReturnValue:
    t = current_translate()
    reason = t(f"data.reject.{err.reason}", max_mb=f"{limit / 1e6:.0f}")
    status = 413 if err.reason == "too_large" else 400
    body = {
        "error": "too_large" if status == 413 else "bad_request",
        "reason": err.reason,
        "message": t("data.error.rejected", reason=reason),
        "detail": err.message,
        "field": "body",
    }
    return jsonify(body), status


def _put_back(safety: Path, err: InsoleError) -> ResponseReturnValue:
    t = current_translate()
    try:
        _replace(lambda store: store.restore(safety))
    except InsoleError as second:
        kept = _data_dir(get_log()) / (
            KEPT_PREFIX + datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + ".sqlite3"
        )
        shutil.move(safety, kept)
        current_app.logger.error("putting the old data back failed too (%s); kept %s", second,
                                 kept)
        return error_response(500, t("data.restore_lost", path=kept.name, reason=str(second)))
    return error_response(500, t("data.restore_failed", reason=str(err)))


def _summary_text(info: BackupInfo) -> str:
    t = current_translate()
    return t("data.restored", sessions=info.sessions, holds=info.holds,
             first=(info.first_started_at or "–")[:10], last=(info.last_started_at or "–")[:10])


# --------------------------------------------------------------------------- delete all


@bp.post("/delete")
def delete_all() -> ResponseReturnValue:
    """Delete everything in the session log, once the confirmation word was typed."""
    t = current_translate()
    data: Any = request.get_json(silent=True) if request.is_json else request.form
    confirm = str(data.get("confirm", "")) if hasattr(data, "get") else ""
    if confirm.strip().upper() not in CONFIRM_WORDS:
        return _delete_refused(400, t("data.error.confirm", word=t("data.confirm_word")))
    if _set_running():
        return _delete_refused(409, t("data.error.running"))
    lock = _lock()
    if not lock.acquire(blocking=False):
        return _delete_refused(409, t("data.error.busy"))
    try:
        _replace(lambda store: store.delete_all())
        removed = sweep_leftovers(_data_dir(get_log()))
    except InsoleError as err:
        current_app.logger.error("delete all refused or failed: %s", err)
        conflict = _set_conflict(err)
        message = t("data.error.running") if conflict else t("data.delete_failed", reason=str(err))
        return _delete_refused(409 if conflict else 500, message)
    finally:
        lock.release()
    current_app.logger.info("all stored data deleted (%d leftover files removed)", removed)
    if gate.wants_json(request):
        return jsonify({"deleted": True})
    return redirect(url_for("data_admin.page", done="deleted"), code=303)


def _delete_refused(status: int, message: str) -> ResponseReturnValue:
    if gate.wants_json(request):
        return error_response(status, message, "confirm" if status == 400 else None)
    return _render_page(error=message), status


def sweep_leftovers(data_dir: Path) -> int:
    """Remove temporary copies a crash may have left, and kept safety copies; returns count."""
    removed = 0
    for entry in data_dir.iterdir():
        if not entry.name.startswith((*TEMP_PREFIXES, KEPT_PREFIX)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed
