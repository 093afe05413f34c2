"""Calendar quarters (``2014Q2``) as a small, immutable value type.

Action-plan deadlines and progress reports are tracked per quarter. People type quarters in
many ways on their phones, so :meth:`Quarter.parse` is deliberately forgiving, while
``str(quarter)`` always yields one canonical form (``"2014Q2"``) for files and JSON and
:attr:`Quarter.label` yields the Turkish display form (``"2014 2. Çeyrek"``).

Pure domain code: no Telegram and no database imports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import overload
from zoneinfo import ZoneInfo

from tracker.errors import CodedError
from tracker.turkish import fold

__all__ = ["ISTANBUL", "MAX_YEAR", "MIN_YEAR", "Quarter", "QuarterError", "quarter_runs"]

ISTANBUL = ZoneInfo("Europe/Istanbul")
MIN_YEAR = 1900
MAX_YEAR = 2999

# Last day of each quarter never depends on leap years, so a fixed table avoids calendar maths.
_LAST_DAY = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}

_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


# What was wrong with a quarter: the macros of texts/quarters.j2 that say it.
_HINT_QUARTER = "quarter_number"
_HINT_YEAR = "year"
_HINT_BARE_YEAR = "bare_year"


class QuarterError(CodedError, ValueError):
    """An invalid quarter; ``tracker.texts.describe()`` says why, in Turkish.

    ``hint`` names what was wrong (a macro of texts/quarters.j2). The offending input is kept
    verbatim: whoever shows the words escapes them for their format.
    """

    template = "texts/quarters.j2"

    def __init__(self, text: str, hint: str | None = None) -> None:
        # Keep the raw parts in ``args`` so the exception pickles and compares sanely.
        super().__init__(text, hint)
        self.text = text
        self.hint = hint
        self.code = (hint or "unreadable") if text.strip() else "empty"
        self.params = {"text": text}
        if hint == _HINT_YEAR:
            self.params.update(first=MIN_YEAR, last=MAX_YEAR)



# Patterns run on a folded string (see ``_fold``): lowercase, Turkish letters as ASCII ("ç" →
# "c", dotless/dotted i → "i"), single spaces, dashes → "-". Numbers are captured loosely
# (``\d+``) so that out-of-range values get a specific hint instead of a generic "not understood".
_SEP = r"\s?[-/.,]?\s?"
# Where two digit runs meet, a separator is mandatory: "Q22014" or "20142. çeyrek" are more
# likely typos than quarters.
_SEP_REQ = r"(?:\s?[-/.,]\s?|\s)"
_NUM_Q = r"(?P<q>\d+|[iv]+)"
_PATTERNS = [
    # 2014Q2, 2014 Q2, 2014-Q2, 2014-Ç2, 2014 ç2, 2014-C2
    re.compile(rf"(?P<y>\d+){_SEP}[qc]\s?(?P<q>\d+)", re.ASCII),
    # Q2 2014, Q2-2014, Ç2/2014
    re.compile(rf"[qc]\s?(?P<q>\d+){_SEP_REQ}(?P<y>\d+)", re.ASCII),
    # 2014/2, 2014-2, 2014.2 — a separator is required so "20142" is not read as a quarter.
    re.compile(r"(?P<y>\d+)\s?[-/.]\s?(?P<q>\d+)", re.ASCII),
    # 2. çeyrek 2014, 2.çeyrek 2014, II. çeyrek 2014
    re.compile(rf"{_NUM_Q}\s?\.?\s?ceyrek{_SEP}(?P<y>\d+)", re.ASCII),
    # 2014 2. çeyrek, 2014 2. Çeyrek (display form), 2014 II. çeyrek
    re.compile(rf"(?P<y>\d+){_SEP_REQ}{_NUM_Q}\s?\.?\s?ceyrek", re.ASCII),
]

# The form kume stores and prints as a key ("2014Q2"): read without folding, since every
# dialog step reads its quarter back this way (folding and trying the patterns cost ~4 % of a
# step's CPU, bench/floor.py). Anything else goes through the patterns below.
_STORED = re.compile(r"(\d{4})Q([1-4])", re.ASCII)

_DASHES = str.maketrans({"–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-"})


def _fold(text: str) -> str:
    # Folding makes "Ç", "ç" and "c" (phone keyboards often lack Turkish letters) all "c";
    # every dash a phone offers becomes "-" first.
    return fold(text.translate(_DASHES))


def _quarter_number(raw: str) -> int | None:
    if raw.isdigit():
        return int(raw)
    return _ROMAN.get(raw)


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, e.g. ``Quarter(2014, 2)`` for April–June 2014.

    Ordering, equality and hashing follow ``(year, q)``, so quarters sort chronologically
    and work as dict keys. Integer arithmetic shifts by whole quarters.
    """

    year: int
    q: int

    def __post_init__(self) -> None:
        for name in ("year", "q"):
            value = getattr(self, name)
            # bool is an int subclass; Quarter(True, 2) is always a bug.
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"Quarter.{name} must be int, got {type(value).__name__}")
        if not 1 <= self.q <= 4:
            raise QuarterError(f"{self.year}Q{self.q}", _HINT_QUARTER)
        if not MIN_YEAR <= self.year <= MAX_YEAR:
            raise QuarterError(f"{self.year}Q{self.q}", _HINT_YEAR)

    # ----------------------------------------------------------------- parsing & display

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """Parse the many ways people write a quarter; raise :class:`QuarterError` otherwise.

        Accepted (case-insensitive, whitespace-tolerant): ``2014Q2``, ``2014 Q2``,
        ``2014-Q2``, ``Q2 2014``, ``2014-Ç2``, ``2014 ç2``, ``2014-C2``, ``2014/2``,
        ``2014-2``, ``2014.2``, ``2. çeyrek 2014``, ``2.çeyrek 2014``, ``II. çeyrek 2014``,
        ``2014 2. çeyrek`` and the display form ``2014 2. Çeyrek``. A bare year is rejected.
        """
        if not isinstance(text, str):
            raise TypeError(f"Quarter.parse expects str, got {type(text).__name__}")
        stored = _STORED.fullmatch(text)
        if stored is not None and MIN_YEAR <= int(stored[1]) <= MAX_YEAR:
            return cls(int(stored[1]), int(stored[2]))
        shown = text.strip()
        folded = _fold(text)
        for pattern in _PATTERNS:
            match = pattern.fullmatch(folded)
            if match is None:
                continue
            year_raw, q_raw = match["y"], match["q"]
            q = _quarter_number(q_raw)
            if q is None or not 1 <= q <= 4:
                raise QuarterError(shown, _HINT_QUARTER)
            if len(year_raw) != 4 or not MIN_YEAR <= int(year_raw) <= MAX_YEAR:
                raise QuarterError(shown, _HINT_YEAR)
            return cls(int(year_raw), q)
        if folded.isdigit() and len(folded) == 4:
            raise QuarterError(shown, _HINT_BARE_YEAR)
        raise QuarterError(shown)

    def __str__(self) -> str:
        return f"{self.year}Q{self.q}"

    @property
    def label(self) -> str:
        """Turkish display form, e.g. ``"2014 2. Çeyrek"``; :meth:`parse` accepts it back."""
        return f"{self.year} {self.q}. Çeyrek"

    # ---------------------------------------------------------------------- arithmetic

    @property
    def _index(self) -> int:
        return self.year * 4 + (self.q - 1)

    @classmethod
    def _from_index(cls, index: int) -> Quarter:
        year, rest = divmod(index, 4)
        return cls(year, rest + 1)

    def next(self) -> Quarter:
        return self + 1

    def previous(self) -> Quarter:
        return self - 1

    def __add__(self, other: object) -> Quarter:
        if not isinstance(other, int) or isinstance(other, bool):
            return NotImplemented
        return self._from_index(self._index + other)

    __radd__ = __add__

    @overload
    def __sub__(self, other: Quarter) -> int: ...

    @overload
    def __sub__(self, other: int) -> Quarter: ...

    def __sub__(self, other: object) -> Quarter | int:
        """``q - n`` shifts back ``n`` quarters; ``q2 - q1`` is the distance in quarters."""
        if isinstance(other, Quarter):
            return self._index - other._index
        if not isinstance(other, int) or isinstance(other, bool):
            return NotImplemented
        return self._from_index(self._index - other)

    @classmethod
    def range(cls, start: Quarter, end: Quarter) -> list[Quarter]:
        """All quarters from ``start`` to ``end``, both inclusive; empty if ``end < start``."""
        return [cls._from_index(i) for i in range(start._index, end._index + 1)]

    # -------------------------------------------------------------------- calendar links

    @classmethod
    def of(cls, moment: date | datetime) -> Quarter:
        """The quarter containing ``moment``.

        Aware datetimes are converted to Europe/Istanbul first, because a report sent at
        23:30 UTC on 31 March already belongs to Q2 for the agency. Naive datetimes and
        plain dates are taken as Istanbul local time.
        """
        if isinstance(moment, datetime) and moment.tzinfo is not None:
            moment = moment.astimezone(ISTANBUL)
        return cls(moment.year, (moment.month - 1) // 3 + 1)

    @property
    def start_date(self) -> date:
        """First day of the quarter."""
        return date(self.year, 3 * self.q - 2, 1)

    @property
    def end_date(self) -> date:
        """Last day of the quarter (inclusive)."""
        month, day = _LAST_DAY[self.q]
        return date(self.year, month, day)

    @property
    def start(self) -> datetime:
        """00:00 Europe/Istanbul on the first day of the quarter (inclusive)."""
        return datetime(self.year, 3 * self.q - 2, 1, tzinfo=ISTANBUL)

    @property
    def end(self) -> datetime:
        """Start of the *next* quarter in Europe/Istanbul — an **exclusive** bound.

        Use ``q.start <= moment < q.end``. Computed from ``end_date`` rather than
        :meth:`next` so it also works for the last representable quarter (2999Q4).
        """
        following = self.end_date + timedelta(days=1)
        return datetime(following.year, following.month, following.day, tzinfo=ISTANBUL)

    def contains(self, moment: date | datetime) -> bool:
        """Whether ``moment`` falls in this quarter (same time-zone rules as :meth:`of`)."""
        return Quarter.of(moment) == self


def quarter_runs(quarters: list[Quarter]) -> list[tuple[Quarter, Quarter]]:
    """Consecutive quarters folded into (first, last) runs, for reading."""
    runs: list[list[Quarter]] = []
    for q in sorted(quarters):
        if runs and runs[-1][1].next() == q:
            runs[-1][1] = q
        else:
            runs.append([q, q])
    return [(a, b) for a, b in runs]
