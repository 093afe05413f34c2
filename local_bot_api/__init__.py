"""Local stand-in for the Telegram Bot API (Telegram is unreachable from dev machines).

See :mod:`local_bot_api.server` for usage and :mod:`local_bot_api.simuser` for how tests
wait for the bot's replies.
"""

from .errors import ApiError
from .formatting import EntityParseError, parse_html
from .inprocess import InProcessRequest
from .limits import FloodControl, TelegramLimits
from .models import StoredFile
from .server import Fault, LocalBotApi
from .simchat import SimGroup
from .simuser import BotEvent, SimUser

__all__ = [
    "ApiError",
    "BotEvent",
    "EntityParseError",
    "Fault",
    "FloodControl",
    "InProcessRequest",
    "LocalBotApi",
    "SimGroup",
    "SimUser",
    "StoredFile",
    "TelegramLimits",
    "parse_html",
]
