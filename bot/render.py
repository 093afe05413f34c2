"""Turning templates and dialog prompts into Telegram messages."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from tracker import texts
from tracker.dialogs.base import Prompt


def message(name: str, /, **params: Any) -> str:
    """Telegram HTML from templates/messages/<name>.j2; user text in params is escaped."""
    return texts.render(f"messages/{name}.j2", **params)


def prompt_markup(
    prompt: Prompt, dialog_id: int | None, revision: int
) -> InlineKeyboardMarkup | None:
    if not prompt.choices:
        return None
    rows = []
    for row in prompt.choices:
        buttons = []
        for choice in row:
            if choice.key.startswith("/"):
                data = callbacks.command(choice.key[1:])
            else:
                assert dialog_id is not None, "a dialog choice needs its dialog"
                data = callbacks.dialog(dialog_id, revision, choice.key)
            buttons.append(InlineKeyboardButton(choice.label, callback_data=data))
        rows.append(buttons)
    return InlineKeyboardMarkup(rows)


def prompt_text(prompt: Prompt) -> str:
    return texts.render(prompt.template, **prompt.params)
