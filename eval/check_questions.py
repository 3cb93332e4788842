#!/usr/bin/env python3
"""Validate eval/questions.jsonl against the raw briefing text.

Usage (from the repository root /work/main):
    python3 eval/check_questions.py [CORPUS_PATH] [QUESTIONS_PATH]

CORPUS_PATH defaults to ../shared/corpus/korea-cluster-preparatory-briefing-2018.txt
(relative to the repository root); QUESTIONS_PATH defaults to eval/questions.jsonl.
Prints "OK" and exits 0 when every check passes; otherwise lists the problems and exits 1.
Lines starting with "note:" are informational and do not make the check fail.

Checks:
- every line is a JSON object; ids are unique and of the form qNNN;
- required fields id, question, answers, evidence, kind with the right types;
- kind is one of fact, list, unanswerable;
- unanswerable: answers == [] and evidence == [];
- answerable: non-empty answers (each group a non-empty list of non-empty strings) and 1-3
  evidence quotes; list questions have 2-4 groups;
- every evidence quote has 4-10 words, occurs verbatim inside a single line of the raw corpus,
  contains no glued footnote marker (heuristic) and is not taken from a footnote source line
  (heuristic: a line with "consulted on", a line starting with a URL, or a numbered line
  holding a URL);
- every answer group has at least one alternative occurring in the corpus text
  (case-insensitive, whitespace-normalised, line breaks joined with a space).
"""
import json
import os
import re
import sys

KINDS = {"fact", "list", "unanswerable"}
REQUIRED = {"id": str, "question": str, "answers": list, "evidence": list, "kind": str}
ID_RE = re.compile(r"^[a-z]\d{3,}$")  # q001 (project set), f001 (fresh), b001 ... (blind2-25), b101 ... (blind26-31)

# Footnote markers are glued to the preceding word or sign, e.g. "export3", "2016)35",
# "(KIAT99)", "in 201911", "2016.32". Legitimate tokens that look alike are whitelisted.
MARKER_WHITELIST = {"co2"}
MARKER_PATTERNS = [
    re.compile(r"[A-Za-z\)”’][0-9]{1,3}(?![0-9A-Za-z%]|[.,][0-9])"),
    re.compile(r"^(?:19|20)\d\d[.,]\d{1,3}[.,;:)]*$"),
    re.compile(r"^\(?(?:19|20)\d{4,5}\)?[.,;:)]*$"),
]


def norm(text):
    return re.sub(r"\s+", " ", text).strip().lower()


def has_marker(quote):
    for tok in quote.split():
        core = tok.strip(".,;:()“”\"'’")
        if core.lower() in MARKER_WHITELIST:
            continue
        for pat in MARKER_PATTERNS:
            if pat.search(tok):
                return tok
    return None


def is_footnote_source(line):
    """Heuristic: a footnote's source reference, not body text."""
    stripped = line.strip()
    return ("consulted on" in line or stripped.startswith("http")
            or (re.match(r"^\d{1,3}\s", stripped) is not None and "http" in line))


def main(argv):
    script_dir = os.path.dirname(os.path.abspath(__file__))
    repo_root = os.path.dirname(script_dir)
    corpus_path = argv[1] if len(argv) > 1 else os.path.join(
        repo_root, "..", "shared", "corpus", "korea-cluster-preparatory-briefing-2018.txt")
    questions_path = argv[2] if len(argv) > 2 else os.path.join(script_dir, "questions.jsonl")

    with open(corpus_path, encoding="utf-8") as f:
        raw = f.read()
    lines = raw.split("\n")
    joined = norm(" ".join(lines))

    problems = []
    notes = []
    seen = set()
    counts = {k: 0 for k in KINDS}

    with open(questions_path, encoding="utf-8") as f:
        qlines = f.read().split("\n")
    if qlines and qlines[-1] == "":
        qlines = qlines[:-1]

    for n, line in enumerate(qlines, 1):
        where = "line %d" % n
        if not line.strip():
            problems.append("%s: empty line" % where)
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            problems.append("%s: invalid JSON (%s)" % (where, e))
            continue
        if not isinstance(obj, dict):
            problems.append("%s: not a JSON object" % where)
            continue
        bad = False
        for field, typ in REQUIRED.items():
            if field not in obj:
                problems.append("%s: missing field %r" % (where, field))
                bad = True
            elif not isinstance(obj[field], typ):
                problems.append("%s: field %r should be %s" % (where, field, typ.__name__))
                bad = True
        if bad:
            continue
        qid = obj["id"]
        where = "%s (%s)" % (where, qid)
        if not ID_RE.match(qid):
            problems.append("%s: id should look like q001 (a lower-case letter, three or more digits)" % where)
        if qid in seen:
            problems.append("%s: duplicate id" % where)
        seen.add(qid)
        extra = set(obj) - set(REQUIRED)
        if extra:
            problems.append("%s: unexpected fields %s" % (where, sorted(extra)))
        if not obj["question"].strip():
            problems.append("%s: empty question" % where)
        kind = obj["kind"]
        if kind not in KINDS:
            problems.append("%s: unknown kind %r" % (where, kind))
            continue
        counts[kind] += 1
        answers, evidence = obj["answers"], obj["evidence"]

        if kind == "unanswerable":
            if answers != [] or evidence != []:
                problems.append("%s: unanswerable questions need answers [] and evidence []" % where)
            continue

        if not answers:
            problems.append("%s: answerable question without answers" % where)
        if not evidence:
            problems.append("%s: answerable question without evidence" % where)
        if len(evidence) > 3:
            problems.append("%s: more than 3 evidence quotes" % where)
        if kind == "list" and not 2 <= len(answers) <= 4:
            problems.append("%s: list questions need 2-4 answer groups" % where)

        for g, group in enumerate(answers):
            if not isinstance(group, list) or not group or not all(
                    isinstance(a, str) and a.strip() for a in group):
                problems.append("%s: answer group %d must be a non-empty list of strings" % (where, g))
                continue
            if not any(norm(a) in joined for a in group):
                problems.append("%s: no alternative of answer group %d %r occurs in the corpus"
                                % (where, g, group))

        for quote in evidence:
            if not isinstance(quote, str) or not quote.strip():
                problems.append("%s: evidence quotes must be non-empty strings" % where)
                continue
            words = len(quote.split())
            if not 4 <= words <= 10:
                problems.append("%s: evidence quote has %d words (4-10): %r" % (where, words, quote))
            hits = [i for i, l in enumerate(lines, 1) if quote in l]
            if not hits:
                problems.append("%s: evidence quote not found in a single corpus line: %r"
                                % (where, quote))
                continue
            marker = has_marker(quote)
            if marker:
                problems.append("%s: evidence quote seems to contain a footnote marker %r: %r"
                                % (where, marker, quote))
            if all(is_footnote_source(lines[i - 1]) for i in hits):
                problems.append("%s: evidence quote comes from a footnote source line: %r"
                                % (where, quote))
            if len(hits) > 1:
                notes.append("note: %s: evidence quote occurs on %d lines %s: %r"
                             % (where, len(hits), hits, quote))

    for p in problems:
        print(p)
    for nline in notes:
        print(nline)
    summary = ", ".join("%s=%d" % (k, counts[k]) for k in sorted(counts))
    print("questions=%d (%s)" % (len(seen), summary))
    if problems:
        print("FAILED: %d problem(s)" % len(problems))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
