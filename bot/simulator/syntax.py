"""What one input line means: a message for the bot, a button press or a simulator command.

    metin            a message to the bot          \\:metin   the text as is (escape)
    [2]  #2          press button 2                [Onayla]  press the button labelled so
    :dosya YOL       send a file                   :kim      who is who
    :dosya YOL | açıklama   send a file with a caption
    :ben 3 / :ben İZKA uzmanı   switch persona    :tarih [ISO]  show or set the date
    :yardim          help                          :çık      quit
    (empty line)     show messages that arrived meanwhile

In script files, other lines starting with "#" are comments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time

from bot.simulator.errors import SimulatorError
from tracker.quarters import ISTANBUL
from tracker.turkish import fold


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Press:
    ref: str  # a 1-based number or part of a label


@dataclass(frozen=True)
class SendFile:
    path: str
    caption: str | None = None


@dataclass(frozen=True)
class Become:
    ref: str | None  # None: list the personas


@dataclass(frozen=True)
class SetDate:
    value: str | None  # None: show the date


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Quit:
    pass


@dataclass(frozen=True)
class Refresh:
    pass


Command = Say | Press | SendFile | Become | SetDate | Help | Quit | Refresh

_HASH_BUTTON = re.compile(r"#(\d+)")
_BRACKET_BUTTON = re.compile(r"\[(.+)\]")
_WORDS = {
    "kim": "who",
    "kimler": "who",
    "ben": "become",
    "tarih": "date",
    "dosya": "file",
    "yardim": "help",
    "help": "help",
    "?": "help",
    "cik": "quit",
    "cikis": "quit",
    "q": "quit",
    "quit": "quit",
}


def is_comment(line: str) -> bool:
    """Script comments: "#" lines that are not a button press such as "#2"."""
    stripped = line.strip()
    return stripped.startswith("#") and not _HASH_BUTTON.fullmatch(stripped)


def parse(line: str) -> Command:
    text = line.rstrip("\r\n")
    stripped = text.strip()
    if not stripped:
        return Refresh()
    if stripped.startswith("\\"):
        return Say(stripped[1:])
    button = _HASH_BUTTON.fullmatch(stripped) or _BRACKET_BUTTON.fullmatch(stripped)
    if button:
        return Press(button.group(1).strip())
    if not stripped.startswith(":"):
        return Say(stripped)
    word, _, rest = stripped[1:].partition(" ")
    rest = rest.strip()
    action = _WORDS.get(fold(word))
    if action == "who":
        return Become(None)
    if action == "become":
        return Become(rest or None)
    if action == "date":
        return SetDate(rest or None)
    if action == "file":
        # " | " cannot be mistaken for part of a path people type; it starts the caption.
        path, bar, caption = rest.partition("|")
        if not path.strip():
            raise SimulatorError("file_missing", path="")
        return SendFile(path.strip(), (caption.strip() or None) if bar else None)
    if action == "help":
        return Help()
    if action == "quit":
        return Quit()
    raise SimulatorError("unknown_command", word=word)


def parse_when(value: str) -> datetime:
    """"2014-07-05", "2014-07-05 10:00", "2014-07-05T10:00+03:00"; Istanbul time if no zone.

    A bare date means 10:00 that day (working hours, when the bot sends)."""
    raw = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            parsed = datetime.combine(datetime.fromisoformat(raw).date(), time(10, 0))
        else:
            parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise SimulatorError("bad_date", value=value) from exc
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ISTANBUL)
