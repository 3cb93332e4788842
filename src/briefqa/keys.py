"""API keys: created once, shown once, stored only as a hash.

A key reads ``bqa_<id>_<secret>``; the store (``Settings.keys_file``, by
default ``<data_dir>/api_keys.json``) keeps the id, the name, the SHA-256 of
the whole key and the creation / revocation times. Keys are 32 random bytes,
so a fast hash is enough: there is nothing to brute-force. Several server
workers share the file; each re-reads it when its modification time changes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path

from pydantic import BaseModel

from briefqa.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from briefqa.settings import Settings

PREFIX = "bqa_"


class KeyRecord(BaseModel):
    id: str
    name: str
    hash: str
    created: float
    revoked: float | None = None

    @property
    def active(self) -> bool:
        return self.revoked is None


def keys_path(settings: Settings) -> Path:
    return settings.keys_file or settings.data_dir / "api_keys.json"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class KeyStore:
    """The key file, cached in memory and re-read when another process changed it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._mtime: float | None = None
        self._records: list[KeyRecord] = []

    def _load(self) -> list[KeyRecord]:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._mtime, self._records = None, []
            return self._records
        if mtime != self._mtime:
            data = json.loads(self.path.read_text(encoding="utf-8") or "[]")
            self._records = [KeyRecord.model_validate(r) for r in data]
            self._mtime = mtime
        return self._records

    def _save(self, records: list[KeyRecord]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump([r.model_dump() for r in records], f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)
        self._mtime = None

    def records(self) -> list[KeyRecord]:
        with self._lock:
            return list(self._load())

    def create(self, name: str) -> tuple[KeyRecord, str]:
        """A new key; the returned secret is the only time it exists in clear."""
        name = name.strip()
        if not name:
            raise InvalidInput("A key needs a name, e.g. `briefqa keys create intranet-portal`.")
        with self._lock:
            records = list(self._load())
            if any(r.name == name and r.active for r in records):
                raise InvalidInput(f"An active key named {name!r} exists; revoke it first or choose another name.")
            kid = secrets.token_hex(4)
            key = f"{PREFIX}{kid}_{secrets.token_urlsafe(32)}"
            rec = KeyRecord(id=kid, name=name, hash=_hash(key), created=time.time())
            self._save([*records, rec])
            return rec, key

    def revoke(self, name_or_id: str) -> KeyRecord:
        with self._lock:
            records = list(self._load())
            for r in records:
                if r.active and name_or_id in (r.name, r.id):
                    r.revoked = time.time()
                    self._save(records)
                    return r
        raise NotFound(f"No active key named {name_or_id!r}; `briefqa keys list` shows them.")

    def verify(self, authorization: str | None) -> KeyRecord:
        """The key record for an ``Authorization: Bearer KEY`` header; 401 without one, 403 if unknown or revoked."""
        if not authorization:
            raise Unauthorized("An API key is required: send 'Authorization: Bearer KEY' (`briefqa keys create`).")
        scheme, _, key = authorization.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthorized("Send the API key as 'Authorization: Bearer KEY'.")
        digest = _hash(key.strip())
        with self._lock:
            records = self._load()
        for r in records:
            if hmac.compare_digest(r.hash, digest):
                if not r.active:
                    raise Forbidden(f"The API key {r.name!r} was revoked; ask for a new one.")
                return r
        raise Forbidden("Unknown API key.")
