"""Feedback on answers: thumbs up/down and a comment, kept in SQLite under ``Settings.data_dir``.

Thumbs-down answers are the raw material for new evaluation questions:
``draft_questions`` turns them into drafts in the evaluation format
(``eval/questions.jsonl``) for a person to complete with answers and evidence.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, Field

from briefqa.errors import ConfigError, InputTooLarge, InvalidInput
from briefqa.settings import Settings

log = logging.getLogger(__name__)

DB_NAME = "feedback.sqlite3"
MAX_COMMENT_CHARS = 2000
RATINGS = ("up", "down")
Rating = Literal["up", "down"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    answer_id TEXT NOT NULL UNIQUE,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    question TEXT NOT NULL,
    searched TEXT NOT NULL,
    answer TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    rating TEXT NOT NULL CHECK (rating IN ('up', 'down')),
    comment TEXT NOT NULL DEFAULT '',
    cited TEXT NOT NULL DEFAULT '[]',
    index_identity TEXT NOT NULL DEFAULT '',
    user TEXT NOT NULL DEFAULT ''
)
"""


class Feedback(BaseModel):
    """One rated answer; rating again or commenting updates the same record."""

    id: int = 0
    answer_id: str = Field(description="Identifier the UI gave the answer when it was shown.")
    created: float = 0.0
    updated: float = 0.0
    question: str = Field(description="The question as the user typed it.")
    searched: str = Field(default="", description="The standalone question that was searched.")
    answer: str = ""
    abstained: bool = False
    rating: Rating
    comment: str = ""
    cited: list[str] = Field(default_factory=list, description="Passage ids the answer cited.")
    index_identity: str = ""
    user: str = Field(default="", description="Who gave it, when the front end knows (API key name, login).")


def db_path(settings: Settings) -> Path:
    return settings.data_dir / DB_NAME


class FeedbackStore:
    """The feedback database; safe to share between the UI's worker threads."""

    def __init__(self, where: Settings | Path) -> None:
        path = db_path(where) if isinstance(where, Settings) else where
        self.path = path
        self._lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"Cannot open the feedback database {path}: {exc}. Set BRIEFQA_DATA_DIR to a writable folder."
            ) from exc

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackStore:
        return cls(db_path(settings))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock, closing(sqlite3.connect(self.path, timeout=10)) as conn:
            conn.row_factory = sqlite3.Row
            with conn:
                yield conn

    def record(self, fb: Feedback) -> Feedback:
        """Store a rating (and comment) for an answer; a second call for the same answer replaces it."""
        if fb.rating not in RATINGS:
            raise InvalidInput("A rating is 'up' or 'down'.")
        if not fb.answer_id.strip():
            raise InvalidInput("Feedback needs the answer it is about; ask a question first.")
        comment = fb.comment.strip()
        if len(comment) > MAX_COMMENT_CHARS:
            raise InputTooLarge(f"The comment is {len(comment)} characters long; the limit is {MAX_COMMENT_CHARS}.")
        now = time.time()
        with self._connect() as conn:
            conn.execute(
                """
                INSERT INTO feedback (answer_id, created, updated, question, searched, answer, abstained,
                                      rating, comment, cited, index_identity, user)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(answer_id) DO UPDATE SET
                    updated = excluded.updated, rating = excluded.rating,
                    comment = CASE WHEN excluded.comment != '' THEN excluded.comment ELSE feedback.comment END
                """,
                (
                    fb.answer_id, now, now, fb.question, fb.searched or fb.question, fb.answer, int(fb.abstained),
                    fb.rating, comment, json.dumps(fb.cited), fb.index_identity, fb.user,
                ),
            )
        log.info("feedback %s on answer %s", fb.rating, fb.answer_id)
        stored = self.get(fb.answer_id)
        assert stored is not None
        return stored

    def add(
        self,
        question: str,
        rating: str,
        answer: str = "",
        comment: str = "",
        index: str = "",
        user: str = "",
        searched: str = "",
        answer_id: str = "",
    ) -> int:
        """Store one rating given without a UI answer id (the HTTP API); returns the record's id."""
        if rating not in RATINGS:
            raise InvalidInput("A rating is 'up' or 'down'.")
        fb = Feedback(
            answer_id=answer_id or uuid.uuid4().hex,
            question=question,
            searched=searched,
            answer=answer,
            rating=cast(Rating, rating),
            comment=comment,
            index_identity=index,
            user=user,
        )
        return self.record(fb).id

    def get(self, answer_id: str) -> Feedback | None:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM feedback WHERE answer_id = ?", (answer_id,)).fetchone()
        return _from_row(row) if row else None

    def all(self, rating: Rating | None = None) -> list[Feedback]:
        sql = "SELECT * FROM feedback" + (" WHERE rating = ?" if rating else "") + " ORDER BY id"
        with self._connect() as conn:
            rows = conn.execute(sql, (rating,) if rating else ()).fetchall()
        return [_from_row(r) for r in rows]


def _from_row(row: sqlite3.Row) -> Feedback:
    data: dict[str, Any] = dict(row)
    data["abstained"] = bool(data["abstained"])
    data["cited"] = json.loads(data["cited"] or "[]")
    return Feedback.model_validate(data)


def draft_questions(records: list[Feedback]) -> list[dict[str, Any]]:
    """Thumbs-down answers as draft evaluation questions (answers and evidence left for a person to fill).

    The standalone (searched) form is used as the question, so a follow-up makes sense on its own.
    ``draft`` keeps what the user saw and said; delete it when the question is finished.
    """
    out = []
    for fb in records:
        if fb.rating != "down":
            continue
        out.append(
            {
                "id": f"draft{fb.id:03d}",
                "question": fb.searched or fb.question,
                "answers": [],
                "evidence": [],
                "kind": "fact",
                "draft": {
                    "asked": fb.question,
                    "answer_given": fb.answer,
                    "abstained": fb.abstained,
                    "comment": fb.comment,
                    "index": fb.index_identity,
                },
            }
        )
    return out


def export_drafts(settings: Settings) -> list[str]:
    """JSON lines, one per thumbs-down answer, in the evaluation format."""
    store = FeedbackStore.for_settings(settings)
    return [json.dumps(d, ensure_ascii=False) for d in draft_questions(store.all("down"))]
