"""Domain errors carry a message code and parameters; the words live in templates/."""

from __future__ import annotations

from typing import Any

from tracker import texts


class DomainError(Exception):
    """Something a person asked for cannot be done; `str()` says why, in Turkish."""

    template = "texts/errors.j2"

    def __init__(self, message_code: str, /, **params: Any):
        self.code = message_code
        self.params = params
        super().__init__(message_code)

    def __str__(self) -> str:
        # Kept for now; the words belong to the boundary: use tracker.texts.describe(error).
        return texts.describe(self)


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    pass
