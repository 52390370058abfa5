"""An on-disk cache of derived text (redlines), keyed by content hashes.

A key is the hash of the inputs' content plus a salt made of the source code that
derives the value, so an upgrade of the diff code invalidates old entries by itself;
nothing is ever keyed by file name, date or commit. Writes are atomic (write, then
rename), and an unreadable entry is a miss, never an error: the cache can be deleted
at any time.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from types import ModuleType


def code_salt(*modules: ModuleType) -> str:
    """A fingerprint of the code that computes cached values."""
    digest = hashlib.sha256()
    for module in modules:
        source = getattr(module, "__file__", None)
        digest.update(Path(source).read_bytes() if source else module.__name__.encode())
    return digest.hexdigest()[:16]


class ContentCache:
    """Text values under `folder/namespace/`, addressed by a hash of their inputs."""

    def __init__(self, folder: Path | None, namespace: str, salt: str) -> None:
        self.root = folder / namespace if folder is not None else None
        self.salt = salt
        self.hits = 0
        self.misses = 0

    def key(self, *parts: str) -> str:
        return hashlib.sha256("\0".join((self.salt, *parts)).encode()).hexdigest()

    def _path(self, key: str) -> Path:
        assert self.root is not None
        return self.root / key[:2] / f"{key}.html"

    def get(self, key: str) -> str | None:
        if self.root is None:
            return None
        try:
            value = self._path(key).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            self.misses += 1
            return None
        self.hits += 1
        return value

    def put(self, key: str, value: str) -> None:
        if self.root is None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(value)
            os.replace(temporary, path)
        except OSError:
            # A read-only or full disk costs speed, not correctness.
            return
