"""Errors carry a message code and parameters; the words live in templates/.

A face (the bot's refusal, the command line, the simulator) words an error with
`tracker.texts.describe(error)`; `str(error)` is for logs and tracebacks only.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CodedError(Exception):
    """An error named by a code and its parameters, not by a sentence.

    `template` holds one macro per code, called with `params` when the error is worded.
    """

    template: ClassVar[str]
    code: str
    params: dict[str, Any]

    def __str__(self) -> str:
        # Unworded on purpose: logging an error renders no template, and a person never reads
        # this (they read tracker.texts.describe(error)).
        shown = ", ".join(f"{key}={value!r}" for key, value in self.params.items())
        return f"{self.code}({shown})"


class DomainError(CodedError):
    """Something a person asked for cannot be done; the boundary says why, in Turkish."""

    template: ClassVar[str] = "texts/errors.j2"

    def __init__(self, message_code: str, /, **params: Any):
        self.code = message_code
        self.params = params
        super().__init__(message_code)


class NotFound(DomainError):
    pass


class Forbidden(DomainError):
    pass
