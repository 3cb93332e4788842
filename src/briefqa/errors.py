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


class ConfigError(BriefqaError):
    """A setting has a value that cannot work."""

    exit_code = 5
