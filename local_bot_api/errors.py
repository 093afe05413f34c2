"""The error type every method raises, rendered as Telegram's error JSON.

Raising instead of returning keeps the method implementations linear: validate, raise
on the first problem (as Telegram does), then build the result.
"""

from __future__ import annotations

from http import HTTPStatus

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def default_description(status: int, retry_after: int | None = None) -> str:
    """Telegram's wording for a bare status (used by fault injection)."""
    if status == 429 and retry_after is not None:
        return f"Too Many Requests: retry after {retry_after}"
    if status in _DEFAULT_DESCRIPTIONS:
        return _DEFAULT_DESCRIPTIONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


class ApiError(Exception):
    """A Bot API failure: HTTP status + Telegram ``description`` (+ retry_after)."""

    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict:
        """The JSON body Telegram sends for this error."""
        body: dict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    """400 with Telegram's ``Bad Request: `` prefix."""
    return ApiError(400, f"Bad Request: {reason}")
