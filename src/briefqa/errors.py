"""The one exception hierarchy of briefqa.

Every message is safe to show a user and says how to fix the problem. Each
front end turns these into its own form in exactly one place: an exit code
(CLI), an HTTP status (API) or a ``gr.Error`` (UI).
"""

from __future__ import annotations


class BriefqaError(Exception):
    """Base class: a problem a user can understand and fix."""

    http_status = 500
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InvalidInput(BriefqaError):
    """A question or request that cannot be answered as given."""

    http_status = 400
    exit_code = 2


class InputTooLarge(InvalidInput):
    """A question or body over the configured size limit."""

    http_status = 413


class CorpusError(BriefqaError):
    """The corpus directory is missing, empty or unreadable."""

    http_status = 500
    exit_code = 3


class IndexNotBuilt(BriefqaError):
    """Asking before any index exists."""

    http_status = 503
    exit_code = 4


class IndexUnavailable(IndexNotBuilt):
    """The Chroma server (BRIEFQA_CHROMA_URL) cannot be reached."""


class ConfigError(BriefqaError):
    """A setting has a value that cannot work."""

    exit_code = 5


# HTTP API and access control (issue 5: intranet embedding).
class NotFound(BriefqaError):
    """A source, route or record that does not exist."""

    http_status = 404
    exit_code = 2


class Unauthorized(BriefqaError):
    """A request to the API without credentials."""

    http_status = 401
    exit_code = 6


class Forbidden(BriefqaError):
    """A request with an unknown or revoked API key."""

    http_status = 403
    exit_code = 6


class RateLimited(BriefqaError):
    """Too many requests from one key or address; ``retry_after`` says when to try again."""

    http_status = 429
    exit_code = 7

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RequestTimeout(BriefqaError):
    """A request that took longer than the configured limit."""

    http_status = 504
    exit_code = 8


# Fetching the cited sources (issue 7: sources, two hops).
class NetworkUnavailable(BriefqaError):
    """No source host could be reached at all: the machine has no network."""

    http_status = 503
    exit_code = 9


# Generative answers (issue 6).
class LLMUnavailable(BriefqaError):
    """The configured LLM cannot be reached or does not answer (`briefqa doctor`)."""

    http_status = 502
    exit_code = 10


# Evaluation (issue 3: trust metrics).
class BelowFloor(BriefqaError):
    """An evaluation metric worse than the floor given with --fail-under (the reports are still written)."""

    exit_code = 11
