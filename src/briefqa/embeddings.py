"""The embedding model, loaded once per process from its package folder (offline).

Documents are embedded at ingest through llama-index's ``HuggingFaceEmbedding`` (sentence-transformers).
Questions, one at a time, go through ``QueryEncoder``: the same weights (``safetensors``) and tokenizer
(``tokenizers``) run as a dozen numpy matrix products a layer, without importing torch, sentence-transformers,
transformers, scikit-learn and scipy. Those imports cost seconds of CPU when a chat page or an API worker
starts on two cores; a question's forward pass is as fast in numpy as in torch (about 10-13 ms on one
core). It gives the sentence-transformers vectors to float precision (tests/test_worker.py checks this),
and serves only the layout it can reproduce exactly: a BERT encoder with mean pooling and normalisation,
as all-MiniLM-L6-v2 is; any other model folder uses sentence-transformers for questions too.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from briefqa.settings import configure_offline

log = logging.getLogger(__name__)
_lock = threading.Lock()
# One question is a tiny matrix product: torch's or BLAS's threads only spin against each other and against the
# other askers (measured with torch: 340-450 ms a question from the main thread on 2 busy cores, 56 ms with one
# thread). Concurrency comes from serving several questions at once instead; batch embedding at ingest uses
# every core.
QUERY_THREADS = 1
# The sentence-transformers modules QueryEncoder reproduces, in order.
_ST_LAYOUT = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]


@lru_cache(maxsize=4)
def load_embedder(model_path: str) -> object:
    """A llama-index HuggingFaceEmbedding over a local sentence-transformers folder."""
    configure_offline()
    _check_folder(model_path)
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding

    log.info("loading embedding model from %s", model_path)
    import torch

    torch.set_num_threads(QUERY_THREADS)
    return HuggingFaceEmbedding(model_name=model_path, device="cpu", embed_batch_size=32)


def _check_folder(model_path: str) -> None:
    if not Path(model_path).exists():
        from briefqa.errors import ConfigError

        raise ConfigError(f"Embedding model folder {model_path} does not exist; fix BRIEFQA_EMBED_MODEL.")


class QueryEncoder:
    """A sentence-transformers BERT model with mean pooling, run as numpy matrix products."""

    def __init__(self, folder: Path, config: dict[str, Any], max_length: int) -> None:
        from safetensors.numpy import load_file
        from threadpoolctl import threadpool_limits
        from tokenizers import Tokenizer

        threadpool_limits(QUERY_THREADS, user_api="blas")  # for the whole process, as torch.set_num_threads
        self.eps = float(config["layer_norm_eps"])
        self.heads = int(config["num_attention_heads"])
        w = {
            k.removeprefix("bert."): v.astype(np.float32)
            for k, v in load_file(str(folder / "model.safetensors")).items()
        }
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = [_bert_layer(w, f"encoder.layer.{i}.") for i in range(int(config["num_hidden_layers"]))]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=int(config.get("pad_token_id", 0)))

    @classmethod
    def load(cls, model_path: str) -> QueryEncoder | None:
        """The encoder for this folder, or None when it is not a layout this class reproduces."""
        folder = Path(model_path)
        try:
            config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
            modules = json.loads((folder / "modules.json").read_text(encoding="utf-8"))
            pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
            st_config = json.loads((folder / "sentence_bert_config.json").read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, IndexError):
            return None
        supported = (
            [m.get("type") for m in modules] == _ST_LAYOUT
            and config.get("model_type") == "bert"
            and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and pooling.get("pooling_mode_mean_tokens") is True
            and not any(
                v is True for k, v in pooling.items() if k.startswith("pooling_mode") and "mean_tokens" not in k
            )
            and not st_config.get("do_lower_case")  # the tokenizer lower-cases by itself (tokenizer.json)
            and (folder / "model.safetensors").exists()
            and (folder / "tokenizer.json").exists()
        )
        if not supported:
            return None
        log.info("loading the question encoder from %s", model_path)
        return cls(folder, config, int(st_config.get("max_seq_length", 256)))

    def encode(self, texts: list[str]) -> np.ndarray:
        """Normalised embeddings of ``texts``, one row each."""
        encs = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encs])
        mask = np.array([e.attention_mask for e in encs], dtype=np.float32)
        x = _layer_norm(self.word[ids] + self.position[: ids.shape[1]] + self.token_type, *self.norm, self.eps)
        # Padding gets no attention: a large negative score before the softmax, as BERT's extended mask.
        bias = ((1.0 - mask) * np.finfo(np.float32).min)[:, None, None, :]
        for layer in self.layers:
            x = self._layer(x, bias, layer)
        pooled = (x * mask[..., None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return _normalise(pooled.astype(np.float32))

    def _layer(self, x: np.ndarray, bias: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
        """One post-norm BERT layer: self-attention, then the feed-forward block, each with a residual."""
        b, t, h = x.shape
        d = h // self.heads
        qkv = x @ p["qkv_w"] + p["qkv_b"]  # (b, t, 3h)
        q, k, v = (qkv[..., i * h : (i + 1) * h].reshape(b, t, self.heads, d).transpose(0, 2, 1, 3) for i in range(3))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(np.float32(d)) + bias
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        ctx = (scores / scores.sum(-1, keepdims=True)) @ v
        ctx = ctx.transpose(0, 2, 1, 3).reshape(b, t, h)
        x = _layer_norm(x + ctx @ p["out_w"] + p["out_b"], p["norm1_w"], p["norm1_b"], self.eps)
        inner = _gelu(x @ p["in_w"] + p["in_b"])
        return _layer_norm(x + inner @ p["ff_w"] + p["ff_b"], p["norm2_w"], p["norm2_b"], self.eps)


def _bert_layer(w: dict[str, np.ndarray], b: str) -> dict[str, np.ndarray]:
    """One BERT layer's weights, transposed for ``x @ W`` and with query, key and value side by side."""
    att = f"{b}attention."
    return {
        "qkv_w": np.concatenate([w[f"{att}self.{x}.weight"].T for x in ("query", "key", "value")], axis=1),
        "qkv_b": np.concatenate([w[f"{att}self.{x}.bias"] for x in ("query", "key", "value")]),
        "out_w": np.ascontiguousarray(w[f"{att}output.dense.weight"].T),
        "out_b": w[f"{att}output.dense.bias"],
        "norm1_w": w[f"{att}output.LayerNorm.weight"],
        "norm1_b": w[f"{att}output.LayerNorm.bias"],
        "in_w": np.ascontiguousarray(w[f"{b}intermediate.dense.weight"].T),
        "in_b": w[f"{b}intermediate.dense.bias"],
        "ff_w": np.ascontiguousarray(w[f"{b}output.dense.weight"].T),
        "ff_b": w[f"{b}output.dense.bias"],
        "norm2_w": w[f"{b}output.LayerNorm.weight"],
        "norm2_b": w[f"{b}output.LayerNorm.bias"],
    }


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x: np.ndarray) -> np.ndarray:
    """BERT's exact GELU, x * Phi(x), with erf to 1.5e-7 (Abramowitz and Stegun 7.1.26): numpy has no erf."""
    z = np.abs(x) / np.float32(np.sqrt(2.0))
    t = 1.0 / (1.0 + 0.3275911 * z)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    erf = np.sign(x) * (1.0 - poly * np.exp(-z * z))
    return (0.5 * x * (1.0 + erf)).astype(np.float32)


@lru_cache(maxsize=4)
def load_query_encoder(model_path: str) -> QueryEncoder | None:
    _check_folder(model_path)
    return QueryEncoder.load(model_path)


class Embedder:
    """Normalised embeddings as numpy arrays, for documents and for queries."""

    def __init__(self, model_path: Path) -> None:
        self.model_path = str(model_path)

    @property
    def model(self) -> Any:
        """The llama-index embedding (sentence-transformers), loaded on first use."""
        return load_embedder(self.model_path)

    @property
    def query_encoder(self) -> QueryEncoder | None:
        """The light question encoder, loaded on first use; None when the model needs sentence-transformers."""
        return load_query_encoder(self.model_path)

    def embed_texts(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        import torch

        model = self.model
        with _lock:
            torch.set_num_threads(os.cpu_count() or 1)
            try:
                vecs = model.get_text_embedding_batch(texts)
            finally:
                torch.set_num_threads(QUERY_THREADS)
        return _normalise(np.asarray(vecs, dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        if self.query_encoder is not None:
            return self.query_encoder.encode([text])[0]
        st = self.model._model
        # The sentence-transformers model directly: the llama-index wrapper adds ~5 ms per call.
        vec = st.encode([text], normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True)
        return np.asarray(vec[0], dtype=np.float32)


def _normalise(m: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return m / norms
