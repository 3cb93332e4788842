"""The Gradio chat UI: cited answers, a Sources panel under each answer, a Sources tab, feedback.

A thin front end: it calls the library (``briefqa.assistant``, ``followup.condense``,
``feedback.FeedbackStore``) and formats what comes back. Every piece of corpus
text and user input is HTML-escaped before it reaches the page; library errors
become a ``gr.Error`` message in ``_user_error`` and nowhere else.
"""

from __future__ import annotations

import functools
import html
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Protocol, TypeVar

import gradio as gr

import briefqa
from briefqa.engine import validate_question
from briefqa.errors import BriefqaError, IndexNotBuilt
from briefqa.feedback import Feedback, FeedbackStore
from briefqa.followup import condense
from briefqa.index import IndexState, read_state
from briefqa.settings import Settings
from briefqa.types import Answer, Citation, Source, SourcePassage

log = logging.getLogger(__name__)

EXAMPLES = [
    "What was Korea's GDP in 2016?",  # a number
    "What are the barriers to EU-Korea trade?",  # a list
    "What is the Industrial Complex Cluster Programme?",  # a policy
    "What does the Changwon cluster specialise in?",  # a cluster
    "What are Mini Clusters?",  # a definition
]
SUGGESTIONS = 3  # closest passages offered after an abstention
STREAM_STEPS = 8  # chunks an answer appears in
STREAM_PAUSE_S = 0.02
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

CSS = """
.bq-answer sup.bq-ref { font-weight: 600; color: var(--color-accent); }
.bq-searched { font-size: 0.85em; opacity: 0.75; margin-bottom: 0.3em; }
.bq-source { border-left: 3px solid var(--color-accent); padding: 0.2em 0 0.2em 0.7em; margin: 0.6em 0; }
.bq-source-head { font-weight: 600; }
.bq-passage { margin: 0.3em 0; white-space: normal; }
.bq-passage mark { background: #fde68a; color: inherit; padding: 0 0.1em; }
.bq-meta, .bq-dated { font-size: 0.85em; opacity: 0.8; }
.bq-footnotes { font-size: 0.85em; margin: 0.2em 0 0 1.2em; padding: 0; }
.bq-registry table { width: 100%; border-collapse: collapse; font-size: 0.9em; }
.bq-registry td, .bq-registry th { border-bottom: 1px solid var(--border-color-primary); padding: 0.3em; vertical-align: top; }
#bq-footer { text-align: center; font-size: 0.85em; opacity: 0.8; }
"""

F = TypeVar("F", bound=Callable[..., Any])


# Errors -------------------------------------------------------------------------------------------


def _user_error(exc: Exception) -> gr.Error:
    """The one place where the UI turns an exception into a message for the page."""
    if isinstance(exc, gr.Error):
        return exc
    if isinstance(exc, BriefqaError):
        return gr.Error(exc.message)
    log.exception("unexpected error in the UI")
    return gr.Error("Something went wrong while answering; the details are in the server log.")


def _guarded(fn: F) -> F:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise _user_error(exc) from exc

    return call  # type: ignore[return-value]


def _guarded_stream(fn: F) -> F:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Iterator[Any]:
        try:
            yield from fn(*args, **kwargs)
        except Exception as exc:
            raise _user_error(exc) from exc

    return call  # type: ignore[return-value]


# Rendering (pure functions: text in, escaped HTML out) ---------------------------------------------


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _one_line(markup: str) -> str:
    # The chatbot renders Markdown; an HTML block without blank lines is passed through untouched.
    return re.sub(r"\s*\n\s*", " ", markup)


def _safe_url(url: str) -> str | None:
    return url if re.match(r"^https?://", url, re.IGNORECASE) else None


def _link(url: str) -> str:
    safe = _safe_url(url)
    if safe is None:
        return esc(url)
    return f'<a href="{esc(safe)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a>'


def briefing_date(state: IndexState | None) -> str:
    """'August 2018' from the manifest's '2018-08'; the briefing's date when the index is missing."""
    dates = sorted({str(d.get("date") or "") for d in (state.documents if state else [])} - {""})
    out = []
    for d in dates:
        m = re.match(r"^(\d{4})-(\d{2})", d)
        out.append(f"{MONTHS[int(m.group(2)) - 1]} {m.group(1)}" if m and 1 <= int(m.group(2)) <= 12 else d)
    return ", ".join(out) or "August 2018"


def render_answer(text: str, searched: str = "", question: str = "") -> str:
    """The answer with its [n] markers, escaped; the standalone question above it when it differs."""
    body = re.sub(r"\[(\d+)\]", r'<sup class="bq-ref">[\1]</sup>', esc(text))
    head = ""
    if searched and " ".join(searched.split()) != " ".join(question.split()):
        head = f'<div class="bq-searched">Searched as: “{esc(searched)}”</div>'
    return _one_line(f'<div class="bq-answer">{head}{body}</div>')


def highlight(passage: str, sentences: list[str]) -> str:
    """The passage, escaped, with every answering sentence wrapped in <mark>."""
    spans: list[tuple[int, int]] = []
    for s in sentences:
        words = s.split()
        if not words:
            continue
        pattern = r"\s+".join(re.escape(w) for w in words)
        m = re.search(pattern, passage)
        if m:
            spans.append((m.start(), m.end()))
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:
            continue
        out.append(esc(passage[pos:start]))
        out.append(f"<mark>{esc(passage[start:end])}</mark>")
        pos = end
    out.append(esc(passage[pos:]))
    return "".join(out)


def _where(c: Citation) -> str:
    parts = [f"<cite>{esc(c.title)}</cite>"]
    if c.section or c.section_title:
        parts.append(esc(f"§{c.section} {c.section_title}".strip() if c.section else c.section_title))
    if c.page:
        parts.append(f"p. {c.page}")
    return " · ".join(parts)


def _source_hop(sp: SourcePassage) -> str:
    """Second hop (issue 7): the fetched source's best matching sentence, with differing figures flagged."""
    where = esc(sp.title) + (f", p. {sp.page}" if sp.page else "") + (f" {_link(sp.url)}" if sp.url else "")
    flags = "".join(
        f"<div class='bq-mismatch'>⚠ {esc(m.kind)} differs: briefing {esc(', '.join(m.briefing))}, "
        f"source {esc(', '.join(m.source))}</div>"
        for m in sp.mismatch
    )
    quote = f"Source: “{esc(sp.sentence)}” <span class='bq-meta'>{where}</span>"
    return f"<blockquote class='bq-hop'>{quote}{flags}</blockquote>"


def render_citations(ans: Answer, dated: str) -> str:
    """The Sources panel of one answer: each cited passage with its heading, highlight and footnotes."""
    items = []
    for c in ans.citations:
        notes = []
        for f in c.footnotes:
            links = " ".join(_link(u) for u in f.urls)
            consulted = f" <span class='bq-meta'>(consulted {esc(f.consulted)})</span>" if f.consulted else ""
            text = esc(f.text) if f.text else "<em>footnote text not available</em>"
            hops = "".join(_source_hop(sp) for sp in f.passages)  # issue 7: the source's own passage
            notes.append(f'<li value="{f.number}">{text} {links}{consulted}{hops}</li>')
        foot = f'<ol class="bq-footnotes">{"".join(notes)}</ol>' if notes else ""
        items.append(
            f'<div class="bq-source" data-n="{c.n}"><div class="bq-source-head">[{c.n}] {_where(c)}</div>'
            f'<div class="bq-passage">{highlight(c.text, c.sentences)}</div>{foot}</div>'
        )
    note = f'<div class="bq-dated">From the briefing of {esc(dated)}: figures are as of then.</div>'
    return _one_line(f'<div class="bq-sources">{"".join(items)}{note}</div>')


def render_passages(ans: Answer, title: str = "") -> str:
    """Ranked passages (the retrieved list, or suggestions after an abstention)."""
    cited = {c.passage_id: c.n for c in ans.citations}
    items = []
    for p in ans.passages:
        mark = f" · cited [{cited[p.id]}]" if p.id in cited else ""
        head = esc(f"§{p.section} {p.section_title}".strip() if p.section else p.section_title or p.document)
        items.append(
            f'<div class="bq-source"><div class="bq-source-head">#{p.rank} {head}'
            f'<span class="bq-meta"> · score {p.score:.4f}{mark}</span></div>'
            f'<div class="bq-passage">{esc(p.text)}</div></div>'
        )
    lead = f"<p>{esc(title)}</p>" if title else ""
    return _one_line(f'<div class="bq-sources">{lead}{"".join(items)}</div>')


def render_documents(state: IndexState | None) -> str:
    if state is None:
        return "<p>The index is not built yet: run <code>briefqa ingest</code>.</p>"
    blocks = []
    for doc in state.documents:
        seen: dict[str, list[str]] = {}
        for p in state.passages:
            if p.document != doc.get("file"):
                continue
            key = f"{p.section} {p.section_title}".strip() if p.section else p.section_title
            subs = seen.setdefault(key, [])
            if p.subsection and p.subsection not in subs:
                subs.append(p.subsection)
        rows = "".join(
            f"<li>{esc(sec)}" + (f"<ul>{''.join(f'<li>{esc(s)}</li>' for s in subs)}</ul>" if subs else "") + "</li>"
            for sec, subs in seen.items()
            if sec
        )
        meta = " · ".join(esc(doc[k]) for k in ("author", "date", "file") if doc.get(k))
        blocks.append(
            f"<details open><summary><b>{esc(doc.get('title') or doc.get('file'))}</b> "
            f"<span class='bq-meta'>{meta}</span></summary><ul>{rows}</ul></details>"
        )
    return _one_line("".join(blocks))


def render_registry(sources: list[Source], query: str = "") -> str:
    """The source registry as a table, filtered by ``query`` (number, words of the text or URL)."""
    q = " ".join(query.split()).lower()
    rows = []
    for s in sources:
        hay = f"{s.number} {s.text} {' '.join(s.urls)} {s.consulted or ''}".lower()
        if q and not all(word in hay for word in q.split()):
            continue
        text = esc(s.text) if s.text else "<em>text lost in extraction</em>"
        if s.ibid_of:
            text += f" <span class='bq-meta'>(= footnote {s.ibid_of})</span>"
        rows.append(
            f"<tr><td>{s.number}</td><td>{text}</td><td>{'<br>'.join(_link(u) for u in s.urls)}</td>"
            f"<td>{esc(s.consulted or '')}</td></tr>"
        )
    count = f"<p class='bq-meta'>{len(rows)} of {len(sources)} footnotes</p>"
    table = (
        "<table><thead><tr><th>#</th><th>Footnote</th><th>Link</th><th>Consulted</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return _one_line(f"<div class='bq-registry'>{count}{table}</div>")


# Conversation ------------------------------------------------------------------------------------


def _messages(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for t in turns for m in t["messages"]]


def _turn_messages(question: str, ans: Answer, shown: str, show_retrieved: bool, dated: str) -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = [
        {"role": "user", "content": esc(question)},
        {"role": "assistant", "content": render_answer(shown, ans.searched, ans.question)},
    ]
    if ans.citations:
        n = len(ans.citations)
        msgs.append(
            {
                "role": "assistant",
                "content": render_citations(ans, dated),
                "metadata": {
                    "title": f"Sources: {n} cited passage{'s' if n > 1 else ''} (briefing of {dated})",
                    "status": "done",
                },
            }
        )
    if ans.abstained and ans.passages:
        top = ans.model_copy(update={"passages": ans.passages[:SUGGESTIONS]})
        msgs.append(
            {
                "role": "assistant",
                "content": render_passages(top),
                "metadata": {"title": "You may be looking for"},
            }
        )
    if show_retrieved and ans.passages:
        msgs.append(
            {
                "role": "assistant",
                "content": render_passages(ans),
                "metadata": {"title": f"Retrieved passages ({len(ans.passages)})", "status": "done"},
            }
        )
    return msgs


def _partials(text: str) -> Iterator[str]:
    """The answer in growing prefixes, cut between words, so it appears progressively."""
    words = text.split(" ")
    step = max(1, -(-len(words) // STREAM_STEPS))
    for end in range(step, len(words), step):
        yield " ".join(words[:end])
    yield text


def _choices(turns: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out = []
    for i, t in enumerate(turns, 1):
        q = t["question"] if len(t["question"]) <= 60 else t["question"][:57] + "…"
        out.append((f"#{i}: {q}", t["id"]))
    return out


class Asker(Protocol):
    """What the UI asks: an ``Assistant`` in this process, or one in a child (``worker.AssistantProcess``)."""

    def ask(self, question: str, k: int | None = None, searched: str | None = None) -> Answer: ...


def build_app(settings: Settings, asker: Asker | None = None) -> gr.Blocks:
    """The whole UI for these settings; launch it with ``launch_kwargs(settings)``.

    Questions go to ``asker``, by default this process's ``briefqa.assistant(settings)``.
    """
    state = read_state(settings)
    dated = briefing_date(state)
    sources = list(state.sources) if state else []
    store_box: list[FeedbackStore] = []
    store_lock = threading.Lock()

    def store() -> FeedbackStore:
        with store_lock:
            if not store_box:
                store_box.append(FeedbackStore(settings))
            return store_box[0]

    def assistant() -> Asker:
        if read_state(settings) is None:
            raise IndexNotBuilt("The index is not built yet: run `briefqa ingest` (or `make run`).")
        return asker or briefqa.assistant(settings)

    @_guarded_stream
    def respond(
        question: str, k: float, show_retrieved: bool, turns: list[dict[str, Any]] | None
    ) -> Iterator[tuple[Any, ...]]:
        turns = list(turns or [])
        q = validate_question(question or "", settings)
        searched = condense(q, [t["searched"] for t in turns])
        ans: Answer = assistant().ask(q, k=int(k), searched=searched)
        turn: dict[str, Any] = {
            "id": uuid.uuid4().hex,
            "question": ans.question,
            "searched": ans.searched,
            "answer": ans.answer,
            "abstained": ans.abstained,
            "cited": [c.passage_id for c in ans.citations],
            "index": ans.index,
            "messages": [],
        }
        before = _messages(turns)
        for shown in _partials(ans.answer):
            partial = _turn_messages(ans.question, ans, shown, False, dated)[:2]
            yield before + partial, "", turns, gr.update()
            time.sleep(STREAM_PAUSE_S)
        turn["messages"] = _turn_messages(ans.question, ans, ans.answer, show_retrieved, dated)
        turns.append(turn)
        choices = _choices(turns)
        yield _messages(turns), "", turns, gr.update(choices=choices, value=turn["id"])

    def _turn(turns: list[dict[str, Any]], answer_id: str) -> dict[str, Any]:
        for t in turns:
            if t["id"] == answer_id:
                return t
        raise gr.Error("Choose an answer to rate: ask a question first.")

    def _save(t: dict[str, Any], rating: str, comment: str) -> Feedback:
        return store().record(
            Feedback(
                answer_id=t["id"],
                question=t["question"],
                searched=t["searched"],
                answer=t["answer"],
                abstained=t["abstained"],
                rating="up" if rating == "up" else "down",
                comment=comment or "",
                cited=t["cited"],
                index_identity=t["index"],
            )
        )

    @_guarded
    def send_feedback(answer_id: str, rating: str, comment: str, turns: list[dict[str, Any]] | None) -> str:
        if rating not in ("up", "down"):
            raise gr.Error("Choose 👍 or 👎 first.")
        fb = _save(_turn(list(turns or []), answer_id), rating, comment)
        return f"Thank you: feedback #{fb.id} stored ({'👍' if fb.rating == 'up' else '👎'})."

    @_guarded
    def on_like(data: gr.LikeData, turns: list[dict[str, Any]] | None) -> str:
        turns = list(turns or [])
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        pos = 0
        for t in turns:
            if pos <= int(index) < pos + len(t["messages"]):
                if data.liked not in (True, False):
                    return "Rating removed from view (the stored one stays)."
                fb = _save(t, "up" if data.liked else "down", "")
                return f"Thank you: feedback #{fb.id} stored ({'👍' if fb.rating == 'up' else '👎'})."
            pos += len(t["messages"])
        return "That message is not an answer."

    def new_conversation() -> tuple[Any, ...]:
        return [], [], gr.update(choices=[], value=None), ""

    @_guarded
    def search_sources(query: str) -> str:
        return render_registry(sources, query or "")

    with gr.Blocks(title=f"briefqa: Korean cluster landscape (briefing of {dated})", analytics_enabled=False) as app:
        turns_state = gr.State([])
        gr.Markdown(
            "## Korean cluster landscape: cited answers\n"
            f"Every answer quotes the *Cluster landscape in the Republic of Korea* briefing ({dated}); "
            "open **Sources** under an answer to read the passages and the footnotes they cite."
        )
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chatbot = gr.Chatbot(
                    label="Conversation",
                    elem_id="bq-chat",
                    height=520,
                    latex_delimiters=[],
                    allow_tags=False,
                    sanitize_html=True,
                    placeholder=f"Ask about clusters, programmes, ministries and figures in Korea (as of {dated}).",
                )
                with gr.Row():
                    question = gr.Textbox(
                        show_label=False,
                        placeholder="Ask a question and press Enter…",
                        elem_id="bq-question",
                        scale=8,
                        max_lines=4,
                        autofocus=True,
                    )
                    ask_button = gr.Button("Ask", variant="primary", scale=1, elem_id="bq-ask")
                gr.Examples(EXAMPLES, inputs=question, label="Examples (click one, then press Enter)")
                with gr.Row():
                    with gr.Accordion("Settings", open=False):
                        k = gr.Slider(1, 50, value=settings.top_k, step=1, label="Passages to retrieve")
                        show_retrieved = gr.Checkbox(
                            False, label="Show retrieved passages (not only the cited ones)", elem_id="bq-retrieved"
                        )
                    with gr.Accordion("Comment on an answer", open=False):
                        which = gr.Dropdown(choices=[], label="Answer", elem_id="bq-which", allow_custom_value=True)
                        rating = gr.Radio([("👍 helpful", "up"), ("👎 not helpful", "down")], label="Rating")
                        comment = gr.Textbox(label="Comment (optional)", lines=2, max_length=2000)
                        send = gr.Button("Send feedback")
                status = gr.Markdown(elem_id="bq-status")
                clear = gr.Button("New conversation", size="sm")
            with gr.Tab("Sources", id="sources"):
                gr.Markdown(
                    f"The briefing dates from **{dated}**: figures and programmes are as of then. "
                    "Below: the documents with their sections, and every footnote the briefing cites."
                )
                gr.HTML(render_documents(state), elem_id="bq-documents")
                query = gr.Textbox(label="Search the sources", placeholder="a word, a footnote number or a site")
                registry = gr.HTML(render_registry(sources), elem_id="bq-registry")
        gr.HTML(
            f"<div id='bq-footer'>Answers come only from the briefing of {esc(dated)} (figures may have changed "
            "since); each sentence is quoted from the cited passage.</div>"
        )

        ask_inputs = [question, k, show_retrieved, turns_state]
        ask_outputs = [chatbot, question, turns_state, which]
        question.submit(respond, ask_inputs, ask_outputs, api_name="ask", show_progress="minimal")
        ask_button.click(respond, ask_inputs, ask_outputs, api_visibility="private", show_progress="minimal")
        send.click(send_feedback, [which, rating, comment, turns_state], status, api_name="feedback")
        chatbot.like(on_like, [turns_state], status, api_visibility="private")
        clear.click(new_conversation, None, [chatbot, turns_state, which, status], api_name="clear")
        chatbot.clear(new_conversation, None, [chatbot, turns_state, which, status], api_visibility="private")
        query.change(search_sources, query, registry, api_name="search_sources", show_progress="hidden")
    return app


def launch_kwargs(settings: Settings) -> dict[str, Any]:
    """Arguments for ``Blocks.launch`` (Gradio 6 takes CSS there, not in ``Blocks``)."""
    return {
        "server_name": settings.host,
        "server_port": settings.port,
        "css": CSS,
        "show_error": False,
        "footer_links": ["api"],
    }
