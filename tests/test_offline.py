"""The whole pipeline (ingest, then ask) runs with the network unreachable.

The child process gets a ``sitecustomize`` that makes every socket connection to a
non-loopback address fail and records the attempt; where this machine allows it
(root, util-linux), the child also runs in a network namespace of its own
(``unshare -n``), which has no route anywhere.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from briefqa.settings import Settings
from conftest import copy_corpus

GUARD = '''
import os, socket

_LOG = os.environ["NET_GUARD_LOG"]
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _allowed(address):
    if isinstance(address, (str, bytes)):  # a Unix socket
        return True
    host = str(address[0])
    return host in ("127.0.0.1", "::1", "localhost")


def _refuse(self, address):
    with open(_LOG, "a") as f:
        f.write(repr(address) + "\\n")
    raise OSError(101, "Network is unreachable (test guard)")


def connect(self, address):
    if not _allowed(address):
        _refuse(self, address)
    return _connect(self, address)


def connect_ex(self, address):
    if not _allowed(address):
        _refuse(self, address)
    return _connect_ex(self, address)


socket.socket.connect = connect
socket.socket.connect_ex = connect_ex
'''

CHILD = """
import json, os, socket
import briefqa
from briefqa.settings import Settings

import tiktoken.load

cache_dirs = []
_read = tiktoken.load.read_file_cached


def spy(*args, **kwargs):  # where tiktoken looks for its encoding files
    cache_dirs.append(os.environ.get("TIKTOKEN_CACHE_DIR", ""))
    return _read(*args, **kwargs)


tiktoken.load.read_file_cached = spy
settings = Settings()
report = briefqa.ingest(settings)
ans = briefqa.ask("Which electric vehicle did Hyundai develop in 2010?", settings)
import llama_index.core
from briefqa.chunks import token_counter
assert token_counter()("Korean clusters") > 0
print(json.dumps({
    "embedded": report.embedded,
    "answer": ans.answer,
    "abstained": ans.abstained,
    "tiktoken_caches": cache_dirs,
    "llama_index": os.path.dirname(llama_index.core.__file__),
    "guarded": socket.socket.connect.__module__ == "sitecustomize",
}))
"""


def _unshare_works() -> bool:
    if not shutil.which("unshare"):
        return False
    try:
        return subprocess.run(["unshare", "-n", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def test_ingest_and_ask_run_without_network(built_settings: Settings, tmp_path: Path) -> None:
    guard_dir = tmp_path / "guard"
    guard_dir.mkdir()
    (guard_dir / "sitecustomize.py").write_text(GUARD, encoding="utf-8")
    log = tmp_path / "attempts.log"
    corpus = copy_corpus(tmp_path / "corpus")
    # A new document, so that ingest loads the model and embeds (the rest is reused).
    (corpus / "ulsan.md").write_text(
        "# Ulsan\nUlsan hosts the automobile and shipbuilding cluster of the south-east coast.\n", encoding="utf-8"
    )
    shutil.copytree(built_settings.index_dir, tmp_path / "index")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFQA_", "TIKTOKEN_", "HF_", "TRANSFORMERS_"))}
    env.update(
        PYTHONPATH=str(guard_dir),
        NET_GUARD_LOG=str(log),
        HF_HUB_OFFLINE="1",
        BRIEFQA_CORPUS_DIR=str(corpus),
        BRIEFQA_INDEX_DIR=str(tmp_path / "index"),
        BRIEFQA_DATA_DIR=str(tmp_path / "data"),
        # Proxies would route around the guard; there are none in this test.
        no_proxy="*",
    )
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        env.pop(proxy, None)
    cmd = [sys.executable, "-c", CHILD]
    if _unshare_works():
        cmd = ["unshare", "-n", *cmd]
    out = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=400)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["guarded"]
    assert result["embedded"] > 0
    assert not result["abstained"] and "BlueOn" in result["answer"]
    # tiktoken's encodings come from the copy bundled inside llama-index, not from a download.
    assert result["tiktoken_caches"], "tiktoken loaded no encoding"
    for cache in result["tiktoken_caches"]:
        assert cache == str(Path(result["llama_index"]) / "_static" / "tiktoken_cache")
        assert any(Path(cache).iterdir())
    attempts = log.read_text() if log.exists() else ""
    assert attempts == "", f"network connections were attempted: {attempts}"
