"""Access control besides API keys: rate limits, UI logins, widget sessions.

- ``RateLimiter``: a token bucket per key or client address, in the memory of
  one server process (with N workers a client can get up to N times the rate).
- UI users: a file of ``user:scrypt$salt$hash`` lines (``briefqa users add``),
  checked by the Gradio login.
- Widget sessions: the /widget page sets an HttpOnly cookie holding a signed,
  expiring token, so the embedded chat calls the API without any key in the page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import os
import secrets
import threading
import time
from pathlib import Path

from briefqa.errors import InvalidInput, RateLimited
from briefqa.settings import Settings

SESSION_COOKIE = "briefqa_widget"
SESSION_SECONDS = 8 * 3600


class RateLimiter:
    """``per_minute`` requests per minute per name, with bursts up to the same number."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def hit(self, name: str, what: str) -> None:
        if self.per_minute <= 0:
            return
        rate = self.per_minute / 60.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(name, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[name] = (tokens, now)
                wait = max(1, math.ceil((1.0 - tokens) / rate))
                raise RateLimited(
                    f"Too many requests for this {what} (limit {self.per_minute} per minute); retry in {wait} s.",
                    retry_after=wait,
                )
            self._buckets[name] = (tokens - 1.0, now)
            if len(self._buckets) > 10000:  # forget idle clients
                cutoff = now - 120
                self._buckets = {k: v for k, v in self._buckets.items() if v[1] > cutoff}


# UI users ---------------------------------------------------------------------------------------


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, salt_b64, _ = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    return hmac.compare_digest(hash_password(password, base64.b64decode(salt_b64)), stored)


def read_users(path: Path) -> dict[str, str]:
    users: dict[str, str] = {}
    if not path.exists():
        return users
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and ":" in line:
            name, _, stored = line.partition(":")
            users[name.strip()] = stored.strip()
    return users


def add_user(path: Path, name: str, password: str) -> None:
    """Add or replace a UI user in the password file (only the hash is written)."""
    if not name or ":" in name or any(c.isspace() for c in name):
        raise InvalidInput("A user name must be non-empty without spaces or ':'.")
    if len(password) < 8:
        raise InvalidInput("Choose a password of at least 8 characters.")
    users = read_users(path)
    users[name] = hash_password(password)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{n}:{h}\n" for n, h in users.items()), encoding="utf-8")
    os.chmod(path, 0o600)


class PasswordCheck:
    """The Gradio ``auth`` callable: re-reads the file when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, username: str, password: str) -> bool:
        stored = read_users(self.path).get(username)
        return stored is not None and check_password(password, stored)


# Widget sessions --------------------------------------------------------------------------------


def session_secret(settings: Settings) -> bytes:
    """The configured secret, or one generated once into data_dir and shared by all workers."""
    if settings.session_secret:
        return settings.session_secret.encode()
    path = settings.data_dir / "session_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
        except FileExistsError:
            pass  # another worker won the race
    for _ in range(50):
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.01)
    return path.read_text().strip().encode()


def new_session(secret: bytes, now: float | None = None) -> str:
    expires = int((now or time.time()) + SESSION_SECONDS)
    body = f"{secrets.token_hex(8)}.{expires}"
    sig = hmac.new(secret, body.encode(), hashlib.sha256).hexdigest()
    return f"{body}.{sig}"


def check_session(secret: bytes, token: str | None, now: float | None = None) -> str | None:
    """The session id of a valid, unexpired token, else None."""
    if not token or token.count(".") != 2:
        return None
    sid, expires, sig = token.split(".")
    good = hmac.new(secret, f"{sid}.{expires}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(good, sig) or not expires.isdigit() or int(expires) < (now or time.time()):
        return None
    return sid
