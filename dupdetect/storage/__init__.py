"""Where a :class:`dupdetect.StoryIndex` keeps its state: one small abstract class, two backends.

    base.py     Storage (the interface), Record and the named types that cross it
    memory.py   MemoryStorage: one process, arrays for the hot path (default)
    redis.py    RedisStorage: many worker processes share one index through a Redis server

Make one with :func:`make_storage`.
"""

from __future__ import annotations

from typing import Any

from .base import (
    EVENTS_KEPT,
    Candidates,
    Change,
    Conflict,
    Delete,
    Identity,
    Insert,
    Move,
    NamespaceLost,
    Record,
    Scores,
    Snapshot,
    Storage,
    Stored,
    pack_record,
    story_id,
    story_number,
    unpack_record,
)
from .memory import MemoryStorage
from .redis import RedisStorage

__all__ = [
    "Record",
    "Stored",
    "Insert",
    "Move",
    "Delete",
    "Change",
    "Candidates",
    "Scores",
    "Snapshot",
    "Identity",
    "Storage",
    "Conflict",
    "NamespaceLost",
    "MemoryStorage",
    "RedisStorage",
    "make_storage",
    "pack_record",
    "unpack_record",
    "story_id",
    "story_number",
    "EVENTS_KEPT",
]


def make_storage(
    storage: str | Storage = "memory", namespace: str = "dupdetect", **options: Any
) -> Storage:
    """A backend from ``"memory"``, a ``redis://``/``rediss://``/``unix://`` URL, or an instance."""
    if isinstance(storage, Storage):
        if options:
            raise TypeError(f"options {sorted(options)} only apply when storage is a URL")
        return storage
    if not isinstance(storage, str):
        raise TypeError(
            f"storage must be 'memory', a redis:// URL or a Storage, got {type(storage).__name__}"
        )
    if storage == "memory":
        if options:
            raise TypeError(
                f"unknown option(s) {', '.join(sorted(options))} for memory storage: they are "
                "options of Redis storage (storage='redis://host:6379/0'); drop them"
            )
        return MemoryStorage()
    if storage.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage(storage, namespace, **options)
    raise ValueError(
        f"unknown storage {storage!r}; use 'memory' or a URL like redis://localhost:6379/0 "
        "(rediss:// for TLS, redis://:password@host:port/db with a password)"
    )
