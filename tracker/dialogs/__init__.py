"""Guided dialogs: /durum (status) and /gosterge (figures)."""

from __future__ import annotations

from types import ModuleType


def engine(kind: str) -> ModuleType:
    """The module that drives dialogs of `kind`: it has prompt() and handle()."""
    if kind == "status":
        from tracker.dialogs import status

        return status
    if kind == "figures":
        from tracker.dialogs import figures

        return figures
    raise LookupError(kind)
