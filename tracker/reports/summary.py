"""The report's summary: Telegram HTML a manager reads in half a minute.

`summary_view` reduces a Report to what the summary shows (counts, short lists, the flags);
the words are in templates/messages/report.j2 (macro `summary`).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from tracker import texts
from tracker.quarters import Quarter
from tracker.reports.data import (
    COUNTED,
    INACTIVE,
    IndicatorRow,
    Participation,
    Report,
)
from tracker.reports.events import EventSummary, summarise
from tracker.reports.filters import WORDS

TEMPLATE = "messages/report.j2"
NAMES = 12  # names listed before "and N more"
NOTABLE = 5  # largest changes of figures shown
CLUSTER_FIGURES = 10  # figures of one cluster shown
# Figures whose relative change is worth showing (not percentages, scales or changes).
NOTABLE_TYPES = frozenset({"count", "money"})
_BLANKS = re.compile(r"\n\s*\n\s*\n")  # more than one blank line (optional branches)


@dataclass(frozen=True)
class Short:
    """A list cut to NAMES items; `more` says how many were left out."""

    items: tuple
    more: int = 0

    @classmethod
    def of(cls, items: list | tuple, limit: int = NAMES) -> Short:
        return cls(tuple(items[:limit]), max(0, len(items) - limit))

    def __bool__(self) -> bool:
        return bool(self.items)

    def __len__(self) -> int:
        return len(self.items) + self.more


@dataclass(frozen=True)
class PriorityLine:
    code: str
    title: str
    total: int
    counts: tuple[tuple[str, int], ...]  # (label, number), statuses in order, zeros left out
    average: float | None


@dataclass(frozen=True)
class TurnoutLine:
    label: str  # quarter as shown
    asked: int
    complete: int
    partial: Short  # of (short, answered, asked)
    missing: Short  # of shorts
    no_contacts: Short  # of shorts asked although nobody of them is registered
    prompts: int
    reminders: int

    @property
    def percent(self) -> float | None:
        return self.complete / self.asked * 100 if self.asked else None


@dataclass(frozen=True)
class FigureTurnout:
    label: str
    owed: int
    given: int
    missing: Short


@dataclass(frozen=True)
class SummaryView:
    title: str
    plan_title: str
    topic: str
    scope: str | None
    scope_title: str | None
    cluster_name: str | None
    managements: tuple[str, ...]
    contacts: int  # registered contacts of the cluster's management (topic kume)
    answered: bool
    counted: int  # actions active in the period
    priorities: tuple[PriorityLine, ...]
    totals: tuple[tuple[str, int], ...]
    turnout: tuple[TurnoutLine, ...]
    figures: tuple[FigureTurnout, ...]
    figure_count: int
    figures_expected: int
    notable: tuple[IndicatorRow, ...]
    cluster_figures: Short  # of IndicatorRow (topic kume)
    waiting: Short  # action codes nobody answered (topic kume)
    delayed: Short
    unassigned: Short
    stale: Short
    implausible: Short
    flag_count: int
    # Cluster members over the period, summed: following at its end, joined, left; None while
    # kume has no member records in scope.
    members: tuple[int, int, int] | None = None
    events: EventSummary | None = None  # the period's awareness events, if any


def _labels() -> dict[str, str]:
    return {key: texts.say(WORDS, "state", key=key) for key in COUNTED}


def _counts(states: list[str], labels: dict[str, str]) -> tuple[tuple[str, int], ...]:
    return tuple((labels[key], n) for key in COUNTED if (n := states.count(key)))


def _by_quarter(report: Report) -> dict[Quarter, list[Participation]]:
    """The participation rows of each quarter of the period, in order."""
    rows: dict[Quarter, list[Participation]] = {q: [] for q in report.quarters}
    for p in report.participation:
        if p.quarter in rows:
            rows[p.quarter].append(p)
    return rows


def _turnout(report: Report) -> tuple[TurnoutLine, ...]:
    lines = []
    for q, rows in _by_quarter(report).items():
        lines.append(TurnoutLine(
            label=q.label,
            asked=len(rows),
            complete=sum(1 for p in rows if p.complete),
            partial=Short.of([(p.organisation_short, _answered(p), _asked(p))
                              for p in rows if p.state == "partial"]),
            missing=Short.of([p.organisation_short for p in rows if p.state == "none"]),
            no_contacts=Short.of([p.organisation_short for p in rows if not p.contacts]),
            prompts=sum(p.prompts_sent for p in rows),
            reminders=sum(p.reminders_sent for p in rows),
        ))
    return tuple(lines)


def _answered(p: Participation) -> int:
    return len(p.actions_answered) + (1 if p.figures_answered else 0)


def _asked(p: Participation) -> int:
    return len(p.actions_asked) + (1 if p.figures_asked else 0)


def _figures(report: Report) -> tuple[FigureTurnout, ...]:
    lines = []
    for q, of_quarter in _by_quarter(report).items():
        rows = [p for p in of_quarter if p.figures_asked]
        lines.append(FigureTurnout(
            label=q.label, owed=len(rows), given=sum(1 for p in rows if p.figures_answered),
            missing=Short.of([p.organisation_short for p in rows if not p.figures_answered])))
    return tuple(lines)


def summary_view(report: Report) -> SummaryView:
    labels = _labels()
    counted = [s for s in report.statuses if s.state != INACTIVE]
    priorities = []
    for p in report.priorities:
        mine = [s for s in counted if s.action.priority_code == p.code]
        if not mine:
            continue
        progress = [s.progress for s in mine if s.progress is not None]
        priorities.append(PriorityLine(
            p.code, p.title, len(mine), _counts([s.state for s in mine], labels),
            round(sum(progress) / len(progress), 1) if progress else None))
    last = report.period_end
    recent = [r for r in report.indicators if r.period == last]
    notable = sorted(
        (r for r in recent if r.change_percent is not None and not r.implausible
         and r.change_percent != 0 and r.value_type in NOTABLE_TYPES),
        key=lambda r: -abs(r.change_percent or 0))[:NOTABLE]
    flags = report.flags
    contacts = {p.organisation_short: len(p.contacts) for p in report.participation}
    return SummaryView(
        title=report.title,
        plan_title=report.plan.title,
        topic=report.topic,
        scope=report.filters.scope,
        scope_title=report.scope_title,
        cluster_name=report.cluster.name if report.cluster else None,
        managements=report.cluster.managements if report.cluster else (),
        contacts=sum(contacts.get(m, 0) for m in report.cluster.managements)
        if report.cluster else 0,
        answered=report.answered,
        counted=len(counted),
        priorities=tuple(priorities),
        totals=_counts([s.state for s in counted], labels),
        turnout=_turnout(report),
        figures=_figures(report),
        figure_count=len(report.indicators),
        figures_expected=report.figures_expected,
        notable=tuple(notable),
        cluster_figures=Short.of(recent, CLUSTER_FIGURES),
        waiting=Short.of([s.action.code for s in counted if s.state == "no_answer"]),
        delayed=Short.of(flags.delayed),
        unassigned=Short.of(flags.unassigned),
        stale=Short.of(flags.stale),
        implausible=Short.of(flags.implausible),
        flag_count=flags.count,
        members=_members(report),
        events=summarise(report.events) if report.events else None,
    )


def _members(report: Report) -> tuple[int, int, int] | None:
    rows = report.members
    totals = (sum(r.active for r in rows), sum(r.joined for r in rows), sum(r.left for r in rows))
    return totals if any(totals) or any(r.active_before for r in rows) else None


def summary_text(report: Report) -> str:
    """The summary as Telegram HTML (messages/report.j2, macro `summary`)."""
    text = texts.say(TEMPLATE, "summary", v=summary_view(report))
    return _BLANKS.sub("\n\n", text)


_TAG = re.compile(r"<[^>]+>")


def plain_text(summary: str) -> str:
    """Telegram HTML as plain text: tags dropped, entities unescaped."""
    return html.unescape(_TAG.sub("", summary)).strip() + "\n"
