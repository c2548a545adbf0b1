"""A bounded cache of what the dashboard derives from finished sessions.

Once a session has ended its frames and holds never change, yet its plots and downloads
are the costliest answers the dashboard gives: 15 ms of CPU for a detail page's plots,
20-70 ms for a frames export of a 3-minute session on a desktop core, several times that on
a Pi. A tablet reviewing a session asks for them again and again, while the same two cores
must keep sampling the insole at its full rate. So the plot markup and the export bodies
of finished sessions are kept here, gzip-compressed (level 1: about a third of the size,
a few milliseconds per 500 kB), and a download goes out as it is to a browser that accepts
gzip (less to carry over the Pi's Wi-Fi too).

A key starts with the session id and holds every summary field (start, end, status,
counts, meta, runner): anything that changes a finished session changes its key, so a
stale entry is never served, and a session still recording gets no key at all. Deleting a
session drops its entries; restoring a backup or deleting everything empties the cache.
The total size is bounded (least recently used entries go first), as is one entry, so an
hour-long export streams as before without being kept.
"""

from __future__ import annotations

import json
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from typing import Any

from flask import Response, current_app, request, stream_with_context

DEFAULT_MAX_BYTES = 3 * 1024 * 1024
"""Compressed bytes kept in all: the plots and exports of about nine 3-minute sessions (each
about 330 kB). Small beside the service's 75 MB; it is part of the resident size the load
target (growth under 10 MB) counts, all of it once more sessions are reviewed than it holds."""

MAX_ENTRY_SHARE = 4
"""One entry may take at most this fraction of the total (768 kB by default: the frames CSV
of a 15-minute session), so one long export cannot push everything else out."""

GZIP_WBITS = 31
"""zlib's window bits for the gzip container (what ``Content-Encoding: gzip`` means)."""

COMPRESS_LEVEL = 1
"""Level 1 is 7x faster than the default 6 on frame data for 25 % more bytes."""

UNZIP_INPUT_BYTES = 16 * 1024
"""Compressed bytes inflated per chunk when a client does not take gzip: about 50 kB of
text each, so no single call holds the interpreter lock for long."""

RECORDING_STATUSES = frozenset({"open"})
"""Statuses of a session still being written: nothing derived from it is cached."""

CONFIG_KEY = "INSOLE_SESSION_CACHE_BYTES"
"""App config: the cache's total size in bytes (0 turns it off)."""


class SessionCache:
    """Least-recently-used bytes by key, bounded in total and per entry; thread-safe."""

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be 0 or more, got {max_bytes}")
        self.max_bytes = max_bytes
        self.max_entry_bytes = max_bytes // MAX_ENTRY_SHARE
        self._entries: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> bytes | None:
        """The bytes kept under ``key`` (now the most recently used), or None."""
        with self._lock:
            blob = self._entries.get(key)
            if blob is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return blob

    def put(self, key: Hashable, blob: bytes) -> bool:
        """Keep ``blob`` under ``key``, evicting the least recently used; False if too big."""
        if len(blob) > self.max_entry_bytes:
            return False
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._entries[key] = blob
            self._size += len(blob)
            while self._size > self.max_bytes:
                _key, evicted = self._entries.popitem(last=False)
                self._size -= len(evicted)
            return True

    def discard_session(self, session_id: int) -> None:
        """Drop every entry of one session (keys start with the session id)."""
        with self._lock:
            for key in [k for k in self._entries if _session_of(k) == session_id]:
                self._size -= len(self._entries.pop(key))

    def clear(self) -> None:
        """Drop everything (after a restore or when all data was deleted)."""
        with self._lock:
            self._entries.clear()
            self._size = 0

    def stats(self) -> dict[str, int]:
        """Entries, bytes kept, the limit, hits and misses."""
        with self._lock:
            return {
                "entries": len(self._entries),
                "bytes": self._size,
                "max_bytes": self.max_bytes,
                "hits": self.hits,
                "misses": self.misses,
            }


def _session_of(key: Hashable) -> object:
    return key[0] if isinstance(key, tuple) and key else None


def finished_key(summary: Mapping[str, Any], *parts: Hashable) -> tuple[Hashable, ...] | None:
    """The cache key of something derived from this session, or None while it records.

    ``summary`` is the session's JSON-ready summary (``review_data.summary_dict``);
    ``parts`` say what is derived (an export's name, the page language, ...).
    """
    if summary.get("status") in RECORDING_STATUSES:
        return None
    fingerprint = json.dumps(summary, sort_keys=True, separators=(",", ":"), default=str)
    return (summary.get("id"), *parts, fingerprint)


# --------------------------------------------------------------------------- compression


def gzip_bytes(data: bytes) -> bytes:
    """``data`` in one gzip member."""
    packer = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, GZIP_WBITS)
    return packer.compress(data) + packer.flush()


def gunzip_bytes(blob: bytes) -> bytes:
    """What ``gzip_bytes`` packed."""
    return zlib.decompress(blob, GZIP_WBITS)


def gunzip_chunks(blob: bytes) -> Iterator[bytes]:
    """What ``blob`` holds, inflated a piece at a time (for a streamed answer)."""
    unpacker = zlib.decompressobj(GZIP_WBITS)
    view = memoryview(blob)
    for start in range(0, len(view), UNZIP_INPUT_BYTES):
        if text := unpacker.decompress(view[start : start + UNZIP_INPUT_BYTES]):
            yield text
    if tail := unpacker.flush():
        yield tail


def kept_while_streamed(
    chunks: Iterable[str], cache: SessionCache, key: Hashable
) -> Iterator[bytes]:
    """Pass ``chunks`` on as UTF-8, compressing a copy that is kept once all went out.

    A client that goes away mid-download closes this generator at a ``yield``: the copy is
    incomplete and is not kept. A copy that outgrows one entry's limit is dropped at once,
    so a long export costs no more memory than before.
    """
    packer = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, GZIP_WBITS)
    parts: list[bytes] = []
    size = 0
    keeping = True
    for text in chunks:
        data = text.encode()
        if keeping:
            parts.append(piece := packer.compress(data))
            size += len(piece)
            if size > cache.max_entry_bytes:
                keeping, parts = False, []
        yield data
    if keeping:
        parts.append(packer.flush())
        cache.put(key, b"".join(parts))


# --------------------------------------------------------------------------- in the app


def init_app(app: Any) -> None:
    """Give the app its cache, sized by ``INSOLE_SESSION_CACHE_BYTES``."""
    size = int(app.config.get(CONFIG_KEY, DEFAULT_MAX_BYTES))
    app.extensions["insole_session_cache"] = SessionCache(size)


def get_cache() -> SessionCache:
    """The running app's cache."""
    cache: SessionCache = current_app.extensions["insole_session_cache"]
    return cache


def _usable(key: Hashable | None, cache: SessionCache) -> Hashable | None:
    """``key``, or None when there is nothing to keep (a recording session, cache off)."""
    return key if cache.max_bytes > 0 else None


def accepts_gzip() -> bool:
    """Whether the request's ``Accept-Encoding`` takes gzip."""
    return request.accept_encodings["gzip"] > 0


def download(
    key: Hashable | None,
    make_chunks: Callable[[], Iterable[str]],
    *,
    mimetype: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A streamed download of a session's data, from the cache when it holds it.

    ``key`` is None for a session still recording (never cached). ``make_chunks`` builds
    the text when the cache does not have it; it is called before the answer starts, so a
    missing session is still a 404.
    """
    cache = get_cache()
    key = _usable(key, cache)
    blob = cache.get(key) if key is not None else None
    response: Response
    if blob is None:
        chunks = make_chunks()
        body = (
            kept_while_streamed(chunks, cache, key)
            if key is not None
            else (text.encode() for text in chunks)
        )
        response = Response(stream_with_context(body), mimetype=mimetype, headers=headers)
    elif accepts_gzip():
        response = Response(blob, mimetype=mimetype, headers=headers)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(gunzip_chunks(blob), mimetype=mimetype, headers=headers)
    # The same address answers with or without gzip: a cache in between must keep them apart.
    response.vary.add("Accept-Encoding")
    return response


def cached_value(key: Hashable | None, make: Callable[[], Any]) -> Any:
    """A JSON-ready value from the cache, or ``make()`` (then kept when ``key`` is set)."""
    cache = get_cache()
    key = _usable(key, cache)
    blob = cache.get(key) if key is not None else None
    if blob is not None:
        return json.loads(gunzip_bytes(blob))
    value = make()
    if key is not None:
        cache.put(key, gzip_bytes(json.dumps(value, separators=(",", ":")).encode()))
    return value
