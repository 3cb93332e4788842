"""The embedding model, loaded once per process from its package folder (offline).

Documents are embedded at ingest through llama-index's ``HuggingFaceEmbedding`` (sentence-transformers).
Questions, one at a time, go through ``QueryEncoder``: the same weights and tokenizer run by
``torch.nn.TransformerEncoder`` and the ``tokenizers`` library, without importing sentence-transformers,
transformers, scikit-learn and scipy (about 8 s of start-up on two cores, most of the time a chat page
took to open). It gives the sentence-transformers vectors to float precision (tests/test_index.py checks
this on the evaluation questions), and serves only the layout it can reproduce exactly: a BERT encoder with
mean pooling and normalisation, as all-MiniLM-L6-v2 is; any other model folder uses sentence-transformers
for questions too.
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
# One question is a tiny matrix product: torch's intra-op threads only spin against each other and against the
# other askers (measured: 340-450 ms a question from the main thread on 2 busy cores, 56 ms with one thread).
# Concurrency comes from serving several questions at once instead; batch embedding at ingest uses every core.
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
    """A sentence-transformers BERT model with mean pooling, run by torch's own transformer layers."""

    def __init__(self, folder: Path, config: dict[str, Any], max_length: int) -> None:
        import torch
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        torch.set_num_threads(QUERY_THREADS)
        self.torch = torch
        self.eps = float(config["layer_norm_eps"])
        self.hidden = int(config["hidden_size"])
        w = load_file(str(folder / "model.safetensors"))
        w = {k.removeprefix("bert."): v for k, v in w.items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        layer = torch.nn.TransformerEncoderLayer(
            self.hidden,
            int(config["num_attention_heads"]),
            int(config["intermediate_size"]),
            dropout=0.0,
            activation="gelu",
            layer_norm_eps=self.eps,
            batch_first=True,
        )
        layers = int(config["num_hidden_layers"])
        self.encoder = torch.nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.encoder.load_state_dict(_torch_names(w, layers))
        self.encoder.eval()
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
        torch = self.torch
        encs = self.tokenizer.encode_batch(texts)
        ids = torch.tensor([e.ids for e in encs])
        mask = torch.tensor([e.attention_mask for e in encs])
        with torch.inference_mode():
            x = self.word[ids] + self.position[: ids.shape[1]] + self.token_type
            x = torch.nn.functional.layer_norm(x, (self.hidden,), self.norm[0], self.norm[1], self.eps)
            x = self.encoder(x, src_key_padding_mask=mask == 0)
            m = mask.unsqueeze(-1).to(x.dtype)
            pooled = (x * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return np.asarray(torch.nn.functional.normalize(pooled, dim=1).numpy(), dtype=np.float32)


def _torch_names(w: dict[str, Any], layers: int) -> dict[str, Any]:
    """BERT's layer weights under ``torch.nn.TransformerEncoder``'s names (post-norm, like BERT)."""
    import torch

    out = {}
    parts = {
        "attention.output.dense": "self_attn.out_proj",
        "attention.output.LayerNorm": "norm1",
        "intermediate.dense": "linear1",
        "output.dense": "linear2",
        "output.LayerNorm": "norm2",
    }
    for i in range(layers):
        b, o = f"encoder.layer.{i}.", f"layers.{i}."
        for kind in ("weight", "bias"):
            qkv = [w[f"{b}attention.self.{x}.{kind}"] for x in ("query", "key", "value")]
            out[f"{o}self_attn.in_proj_{kind}"] = torch.cat(qkv)
            for src, dst in parts.items():
                out[f"{o}{dst}.{kind}"] = w[f"{b}{src}.{kind}"]
    return out


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
