"""The embedding model, loaded once per process from its package folder (offline)."""

from __future__ import annotations

import logging
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from briefqa.settings import configure_offline

log = logging.getLogger(__name__)
_lock = threading.Lock()
# One question is a tiny matrix product: torch's intra-op threads only spin against each other and against the
# other askers (measured: 340-450 ms a question from the main thread on 2 busy cores, 56 ms with one thread).
# Concurrency comes from serving several questions at once instead; batch embedding at ingest uses every core.
QUERY_THREADS = 1


@lru_cache(maxsize=4)
def load_embedder(model_path: str) -> object:
    """A llama-index HuggingFaceEmbedding over a local sentence-transformers folder."""
    configure_offline()
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    if not Path(model_path).exists():
        from briefqa.errors import ConfigError

        raise ConfigError(f"Embedding model folder {model_path} does not exist; fix BRIEFQA_EMBED_MODEL.")
    log.info("loading embedding model from %s", model_path)
    import torch

    torch.set_num_threads(QUERY_THREADS)
    return HuggingFaceEmbedding(model_name=model_path, device="cpu", embed_batch_size=32)


class Embedder:
    """Normalised embeddings as numpy arrays, for documents and for queries."""

    def __init__(self, model_path: Path) -> None:
        self.model = load_embedder(str(model_path))

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        import torch

        with _lock:
            torch.set_num_threads(os.cpu_count() or 1)
            try:
                vecs = self.model.get_text_embedding_batch(texts)  # type: ignore[attr-defined]
            finally:
                torch.set_num_threads(QUERY_THREADS)
        return _normalise(np.asarray(vecs, dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        st = self.model._model  # type: ignore[attr-defined]
        # The sentence-transformers model directly: the llama-index wrapper adds ~5 ms per call.
        vec = st.encode([text], normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vec[0], dtype=np.float32)


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms
