"""A learned check of whether the corpus covers a question, on top of the hand-set abstention model.

The hand-set model (``answer.Weights``) reads how well the best sentence matches the question. It cannot tell a
question on a topic the briefing never treats but whose words it uses ("What visa do I need for a business trip?")
from a paraphrase. This model adds the question's own embedding: a logistic regression over the hand model's
features, the question vector and the share of the labelled questions nearest to it (cosine of their vectors) that
the corpus answers, fitted on labelled question sets (``briefqa fit-coverage``). It learns which kinds of question
the corpus answers, so it belongs to one corpus: it records the files it was fitted for and is used only on an index
built from exactly those files. It only adds abstentions; it never makes the assistant answer.

The labelled questions' vectors travel with the model (as float16). A labelled question is never its own neighbour,
in the fit (each row's share leaves it out) as in use (a question within ``SAME`` of a labelled one leaves that one
out), so that a set the model was fitted on is judged as a new one would be.
"""

from __future__ import annotations

import base64
import json
import math
import os
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from briefqa.engine import Assistant
    from briefqa.evaluation import Question

# The hand model's features (answer.extract), in the order of the coefficients that follow the confidence's logit.
FEATURES = ("sem", "lex", "focus", "attribute", "type", "known")
PACKAGED = Path(__file__).parent / "data" / "coverage.json"
MANIFEST = "manifest.json"  # titles and dates: they do not change what the corpus covers
NEIGHBOURS = 5  # how many of the nearest labelled questions the share is taken over
NEAR = 0.6  # a labelled question less close than this (cosine) is no neighbour: it counts as the base rate
SAME = 0.999  # cosine at and above which two questions are the same one (vectors are kept as float16)
HEAD = 1 + len(FEATURES)  # columns of a feature row before the question vector


def feature_vector(confidence: float, features: dict[str, float], q_vec: np.ndarray) -> np.ndarray:
    c = min(max(confidence, 1e-6), 1 - 1e-6)
    head = [math.log(c / (1 - c))] + [float(features.get(f, 0.0)) for f in FEATURES]
    return np.concatenate([np.asarray(head, dtype=np.float64), np.asarray(q_vec, dtype=np.float64)])


def neighbour_share(vecs: np.ndarray, memory: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """For each row of ``vecs``: the share of its ``k`` nearest rows of ``memory`` (by cosine; the same question
    left out) whose ``labels`` say the corpus answers them; with ``k`` 0, none: a share of 0 for all.

    A row less close than ``NEAR`` says nothing of the question ("What is BlueOn?" is not "How many BlueOn cars did
    Hyundai sell?", cosine 0.40): it counts as the share of all labelled questions answered."""
    if k <= 0:
        return np.zeros(len(vecs))
    labels = np.asarray(labels, dtype=np.float64)
    sims = np.asarray(vecs, dtype=np.float32) @ np.asarray(memory, dtype=np.float32).T
    sims[sims >= SAME] = -np.inf
    k = min(k, memory.shape[0])
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    near = np.take_along_axis(sims, nearest, axis=1) >= NEAR
    return np.where(near, labels[nearest], labels.mean()).mean(axis=1)


def corpus_files(files: dict[str, str]) -> dict[str, str]:
    """The content hashes of the documents an index was built from (index state ``files``), manifest left out."""
    return {k: v for k, v in sorted(files.items()) if k != MANIFEST}


@dataclass(frozen=True)
class CoverageModel:
    bias: float
    coef: np.ndarray
    threshold: float  # P(covered) below this abstains
    corpus: dict[str, str]  # the files it was fitted for
    embed_model: str
    trained_on: list[str]
    c: float
    quantile: float
    memory: np.ndarray  # the labelled questions' vectors (float16 values, held as float32), one row each
    labels: np.ndarray  # whether the corpus answers each of them
    k: int = NEIGHBOURS

    def probability(self, confidence: float, features: dict[str, float], q_vec: np.ndarray) -> float:
        return float(self.probabilities(feature_vector(confidence, features, q_vec)[None, :])[0])

    def probabilities(self, X: np.ndarray) -> np.ndarray:
        """P(covered) of each feature row of ``X`` (``feature_vector``)."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.bias + self.inputs(X) @ self.coef, -30.0, 30.0)))

    def inputs(self, X: np.ndarray) -> np.ndarray:
        """The regression's inputs: each feature row with the share of its nearest labelled questions answered."""
        share = neighbour_share(X[:, HEAD:], self.memory, self.labels, self.k)
        return np.hstack([X[:, :HEAD], share[:, None], X[:, HEAD:]])

    def applies_to(self, files: dict[str, str], embed_model: str) -> bool:
        return corpus_files(files) == self.corpus and embed_model == self.embed_model

    def to_json(self) -> dict:
        return {
            "about": "briefqa coverage model: logistic regression over "
            + ", ".join(("logit(confidence)",) + FEATURES)
            + ", the share of the nearest labelled questions answered and the question vector; made by"
            " `briefqa fit-coverage`",
            "bias": self.bias,
            "coef": [round(float(v), 8) for v in self.coef],
            "threshold": self.threshold,
            "corpus": self.corpus,
            "embed_model": self.embed_model,
            "trained_on": self.trained_on,
            "C": self.c,
            "quantile": self.quantile,
            "neighbours": {
                "k": self.k,
                "labels": [int(v) for v in self.labels],
                "shape": list(self.memory.shape),
                "float16": base64.b64encode(np.asarray(self.memory, dtype="<f2").tobytes()).decode("ascii"),
            },
        }


def load(path: Path) -> CoverageModel:
    """Read a model file; a ``ValueError`` names what is wrong with it."""
    try:
        d = json.loads(Path(path).read_text(encoding="utf-8"))
        nb = d["neighbours"]
        rows, dim = (int(v) for v in nb["shape"])
        # Kept as float32 in memory: converting on every question would cost more than the search.
        memory = np.frombuffer(base64.b64decode(nb["float16"]), dtype="<f2").reshape(rows, dim).astype(np.float32)
        labels = np.asarray(nb["labels"], dtype=np.float64)
        if len(labels) != rows or rows < 1:
            raise ValueError("'neighbours' must hold one label for each labelled question's vector")
        if not isinstance(d.get("coef"), list) or len(d["coef"]) != HEAD + 1 + dim:
            raise ValueError(
                "'coef' must list a coefficient for the logit, each feature, the neighbours' share and each vector "
                "dimension"
            )
        return CoverageModel(
            bias=float(d["bias"]),
            coef=np.asarray(d["coef"], dtype=np.float64),
            threshold=float(d["threshold"]),
            corpus={str(k): str(v) for k, v in d["corpus"].items()},
            embed_model=str(d["embed_model"]),
            trained_on=[str(s) for s in d.get("trained_on", [])],
            c=float(d.get("C", 0.0)),
            quantile=float(d.get("quantile", 0.0)),
            memory=memory,
            labels=labels,
            k=int(nb["k"]),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(f"Cannot read the coverage model {path}: {e}") from e


def fit(
    X: np.ndarray,
    covered: np.ndarray,
    answered: np.ndarray,
    *,
    corpus: dict[str, str],
    embed_model: str,
    trained_on: list[str],
    c: float = 3.0,
    quantile: float = 0.005,
    k: int = NEIGHBOURS,
) -> CoverageModel:
    """Fit on feature rows ``X`` (``feature_vector``) labelled ``covered`` (the corpus answers the question).

    Each row's neighbours are the other labelled questions. The threshold keeps false abstentions rare: it is the
    ``quantile`` of the probabilities of the covered questions that the hand model answers (``answered``), so at most
    that share of them is newly declined on the training sets.
    """
    from sklearn.linear_model import LogisticRegression

    covered = np.asarray(covered, dtype=bool)
    if covered.all() or not covered.any():
        raise ValueError("Fitting needs both answerable and unanswerable questions.")
    memory = np.asarray(X[:, HEAD:], dtype="<f2").astype(np.float32)  # the values saved as float16
    model = CoverageModel(
        bias=0.0,
        coef=np.zeros(X.shape[1] + 1),
        threshold=0.0,
        corpus=corpus_files(corpus),
        embed_model=embed_model,
        trained_on=trained_on,
        c=c,
        quantile=quantile,
        memory=memory,
        labels=covered.astype(np.float64),
        k=k,
    )
    inputs = model.inputs(X)
    m = LogisticRegression(C=c, max_iter=5000).fit(inputs, covered)
    p = m.predict_proba(inputs)[:, 1]
    kept = np.sort(p[covered & np.asarray(answered, dtype=bool)])
    threshold = float(kept[int(quantile * len(kept))]) if len(kept) else 0.0
    return replace(model, bias=float(m.intercept_[0]), coef=m.coef_[0].astype(np.float64), threshold=threshold)


def save(model: CoverageModel, path: Path) -> None:
    """Write atomically: a crash leaves the previous file whole."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".coverage-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(model.to_json(), f, indent=1)
            f.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the model is package data
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def labelled_features(assistant: Assistant, questions: list[Question]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Through the real pipeline: each labelled question's feature row, whether the corpus covers it (it is not
    ``unanswerable``), and whether the hand-set model answers it."""
    from briefqa.engine import validate_question

    rows, covered, answered = [], [], []
    for q in questions:
        _, ex, q_vec, _ = assistant.assess(validate_question(q.question, assistant.settings), 1)
        rows.append(feature_vector(ex.confidence, ex.features, q_vec))
        covered.append(q.kind != "unanswerable")
        answered.append(not assistant.hand_declines(ex))
    return np.vstack(rows), np.array(covered), np.array(answered)


def fit_sets(
    assistant: Assistant, paths: list[Path], *, c: float = 3.0, quantile: float = 0.005, k: int = NEIGHBOURS
) -> tuple[CoverageModel, dict[str, int]]:
    """Fit a model for ``assistant``'s corpus on labelled question sets (eval JSONL: unanswerable = not covered).

    Returns the model and, on the training questions, how many it declines of each kind (in-sample figures).
    """
    from briefqa.errors import InvalidInput
    from briefqa.evaluation import load_questions

    questions = [q for path in paths for q in load_questions(path)]
    if len({q.kind == "unanswerable" for q in questions}) < 2:
        raise InvalidInput("Fitting the coverage model needs both answerable and unanswerable questions.")
    X, cov, ans = labelled_features(assistant, questions)
    model = fit(
        X,
        cov,
        ans,
        corpus=assistant.index.state.files,
        embed_model=assistant.settings.model_name,
        trained_on=[Path(p).name for p in paths],
        c=c,
        quantile=quantile,
        k=k,
    )
    declined = ~ans | (model.probabilities(X) < model.threshold)
    stats = {
        "questions": len(questions),
        "unanswerable": int((~cov).sum()),
        "declined_unanswerable": int((declined & ~cov).sum()),
        "declined_unanswerable_hand_model": int((~ans & ~cov).sum()),
        "answerable": int(cov.sum()),
        "declined_answerable": int((declined & cov).sum()),
        "declined_answerable_hand_model": int((~ans & cov).sum()),
    }
    return model, stats
