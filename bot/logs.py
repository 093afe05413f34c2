"""Logging hygiene shared by every way of running the bot."""

from __future__ import annotations

import logging


def quiet_http_logs() -> None:
    """httpx logs every request URL at INFO, and a Bot API URL contains the token."""
    for name in ("httpx", "httpcore", "telegram.request"):
        logging.getLogger(name).setLevel(logging.WARNING)
