"""API keys and UI logins: created once, stored as hashes, revoked; the CLI commands around them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefqa.access import PasswordCheck, RateLimiter, add_user, check_session, new_session
from briefqa.cli import main
from briefqa.errors import Forbidden, InvalidInput, NotFound, RateLimited, Unauthorized
from briefqa.keys import KeyStore


def test_key_is_stored_only_as_a_hash(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    rec, key = store.create("portal")
    text = (tmp_path / "keys.json").read_text()
    assert key.startswith("bqa_") and key not in text and key.split("_")[-1] not in text
    assert rec.hash in text
    assert oct(os.stat(tmp_path / "keys.json").st_mode & 0o777) == "0o600"


def test_key_lifecycle_create_verify_revoke(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    rec, key = store.create("portal")
    assert store.verify(f"Bearer {key}").name == "portal"
    with pytest.raises(InvalidInput):
        store.create("portal")  # an active key of that name exists
    other = KeyStore(tmp_path / "keys.json")  # another worker process sees the revocation
    other.revoke(rec.id)
    with pytest.raises(Forbidden, match="revoked"):
        store.verify(f"Bearer {key}")
    with pytest.raises(NotFound):
        store.revoke("portal")
    _, again = store.create("portal")  # the name can be reused after revocation
    assert store.verify(f"bearer {again}").active


def test_missing_and_unknown_keys(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.json")
    with pytest.raises(Unauthorized):
        store.verify(None)
    with pytest.raises(Unauthorized):
        store.verify("Token abc")
    with pytest.raises(Forbidden):
        store.verify("Bearer bqa_deadbeef_whatever")


def test_keys_cli_create_list_revoke(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"BRIEFQA_DATA_DIR": str(tmp_path / "data")}
    made = runner.invoke(main, ["keys", "create", "wiki"], env=env)
    assert made.exit_code == 0, made.output
    key = made.stdout.strip().splitlines()[0]
    assert key.startswith("bqa_")
    listed = runner.invoke(main, ["keys", "list", "--json"], env=env)
    recs = json.loads(listed.stdout)
    assert [r["name"] for r in recs] == ["wiki"] and "hash" not in recs[0] and recs[0]["revoked"] is None
    assert key not in (tmp_path / "data" / "api_keys.json").read_text()
    assert runner.invoke(main, ["keys", "revoke", "wiki"], env=env).exit_code == 0
    assert "revoked" in runner.invoke(main, ["keys", "list"], env=env).stdout
    missing = runner.invoke(main, ["keys", "revoke", "wiki"], env=env)
    assert missing.exit_code != 0 and "No active key" in missing.output and "Traceback" not in missing.output


def test_ui_users_file_holds_hashes_and_checks_passwords(tmp_path: Path) -> None:
    path = tmp_path / "users"
    add_user(path, "kim", "correct horse")
    assert "correct horse" not in path.read_text()
    check = PasswordCheck(path)
    assert check("kim", "correct horse") and not check("kim", "wrong horse") and not check("lee", "correct horse")
    with pytest.raises(InvalidInput):
        add_user(path, "short", "abc")


def test_users_cli_needs_the_file_setting(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(main, ["users", "add", "kim", "--password", "12345678"], env={})
    assert res.exit_code != 0 and "BRIEFQA_UI_USERS_FILE" in res.output
    env = {"BRIEFQA_UI_USERS_FILE": str(tmp_path / "users")}
    ok = runner.invoke(main, ["users", "add", "kim", "--password", "12345678"], env=env)
    assert ok.exit_code == 0 and PasswordCheck(tmp_path / "users")("kim", "12345678")


def test_widget_session_tokens_are_signed_and_expire() -> None:
    token = new_session(b"s1", now=1000.0)
    assert check_session(b"s1", token, now=1001.0)
    assert check_session(b"s2", token, now=1001.0) is None
    assert check_session(b"s1", token, now=1000.0 + 9 * 3600) is None
    assert check_session(b"s1", "garbage") is None


def test_rate_limiter_refuses_beyond_the_rate() -> None:
    limiter = RateLimiter(2)
    limiter.hit("a", "key")
    limiter.hit("a", "key")
    with pytest.raises(RateLimited) as exc:
        limiter.hit("a", "key")
    assert exc.value.retry_after >= 1 and exc.value.http_status == 429
    limiter.hit("b", "key")  # other clients are unaffected
