"""What a report covers: /rapor's words read into a period, a part of the plan and a topic.

    /rapor                      the last reporting quarter, the whole plan
    /rapor 2014Q2 | 2014-Ç2     one quarter          /rapor 2014      a year (its ended quarters)
    /rapor Ö2 | H1.2 | E1.2.4   a priority, goal or action of the plan
    /rapor gosterge | katilim   a topic              /rapor kume organik-gida   one cluster

Words come in any order. Anything not understood raises DomainError("report_usage") whose
text names the word and shows the usage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol, TypeVar

from sqlmodel import Session, col, select

from tracker import texts
from tracker.calendar import CalendarSettings, reporting_quarter
from tracker.errors import DomainError
from tracker.models import Action, Cluster, Goal, Plan, Priority
from tracker.quarters import Quarter, QuarterError
from tracker.turkish import fold

Topic = Literal["genel", "gosterge", "katilim", "kume"]
TOPICS: tuple[str, ...] = ("genel", "gosterge", "katilim", "kume")
WORDS = "texts/report.j2"

# Folded words -> topic ("gösterge", "Katılım", "küme" fold to these).
_TOPIC_WORDS: dict[str, Topic] = {
    "genel": "genel",
    "gosterge": "gosterge",
    "gostergeler": "gosterge",
    "katilim": "katilim",
    "kume": "kume",
}
_SCOPE = re.compile(r"(o\d+|h\d+\.\d+|e\d+\.\d+\.\d+)")
_YEAR = re.compile(r"\d{4}")
# A word that is surely meant as a quarter (so its parse error is the one to show).
_QUARTERISH = re.compile(
    r"(\d{4}\s?[-/.]?\s?[qç]\s?\d+|[qç]\s?\d+\s?[-/.]?\s?\d{4}|\d{4}[-/.]\d+)"
)


@dataclass(frozen=True)
class ReportFilters:
    """A quarter or a year; a plan item code (Ö2, H1.2, E1.2.4); a topic; a cluster."""

    period: Quarter | int | None = None
    scope: str | None = None
    topic: Topic = "genel"
    cluster: str | None = None


def usage_error(reason: str, /, **params: object) -> DomainError:
    """report_usage with the reason (a macro of texts/report.j2) in Turkish."""
    return DomainError("report_usage", reason=texts.say(WORDS, reason, **params))


def default_quarter(now: datetime, settings: CalendarSettings) -> Quarter:
    """The quarter being reported now, else the last ended one."""
    return reporting_quarter(now, settings) or Quarter.of(now).previous()


def plan_span(plan: Plan) -> tuple[Quarter, Quarter]:
    return Quarter.parse(plan.start), Quarter.parse(plan.end)


def choose_plan(plans: list[Plan], period: Quarter | int) -> Plan | None:
    """The (newest) plan running in `period`."""
    def covers(plan: Plan) -> bool:
        start, end = plan_span(plan)
        if isinstance(period, Quarter):
            return start <= period <= end
        return start.year <= period <= end.year

    running = [p for p in plans if covers(p)]
    return max(running, key=lambda p: (plan_span(p)[0], p.id or 0)) if running else None


def resolve_period(
    plans: list[Plan], period: Quarter | int | None, now: datetime, settings: CalendarSettings
) -> tuple[Plan, list[Quarter]]:
    """The plan and the quarters a period stands for (checked: not in the future, in a plan).

    No period: the default quarter, moved into the nearest plan when it falls outside.
    A year: its quarters that lie in the plan and have ended (the current one if none has).
    """
    if not plans:
        raise DomainError("no_plan")
    current = Quarter.of(now)
    if period is None:
        quarter = default_quarter(now, settings)
        plan = choose_plan(plans, quarter)
        if plan is None:
            plan = max(plans, key=lambda p: (plan_span(p)[1], p.id or 0))
            start, end = plan_span(plan)
            quarter = min(max(quarter, start), end)
        return plan, [quarter]
    if isinstance(period, Quarter):
        if period > current:
            raise usage_error("reason_future", period=period.label)
        plan = choose_plan(plans, period)
        if plan is None:
            raise _outside(plans, period.label)
        return plan, [period]
    if period > current.year:
        raise usage_error("reason_future", period=texts.say(WORDS, "year", year=period))
    plan = choose_plan(plans, period)
    if plan is None:
        raise _outside(plans, texts.say(WORDS, "year", year=period))
    start, end = plan_span(plan)
    quarters = [q for q in Quarter.range(Quarter(period, 1), Quarter(period, 4))
                if start <= q <= end and q <= current]
    ended = [q for q in quarters if q < current]
    return plan, ended or quarters


def _outside(plans: list[Plan], shown: str) -> DomainError:
    spans = [plan_span(p) for p in plans]
    return usage_error(
        "reason_outside_plan",
        period=shown,
        spans=[f"{a.label} – {b.label}" for a, b in sorted(spans)],
    )


def parse_filters(
    words: list[str], *, session: Session, now: datetime, settings: CalendarSettings
) -> ReportFilters:
    """Read /rapor's words; DomainError("report_usage", reason=...) for any wrong word."""
    plans = list(session.exec(select(Plan).order_by(col(Plan.id))).all())
    if not plans:
        raise DomainError("no_plan")
    read = _sort_words([w for word in words for w in word.split()])
    plan, _ = resolve_period(plans, read.period, now, settings)
    period = read.period
    if period is None:
        period = resolve_period(plans, None, now, settings)[1][0]
    scope, rest = _plan_item(session, plan, read.scope, read.rest)
    cluster, topic = _cluster_and_topic(session, rest, read.topic)
    _check_combination(session, topic, cluster, scope)
    return ReportFilters(period=period, scope=scope, topic=topic, cluster=cluster)


@dataclass
class _Words:
    """/rapor's words by their shape, before the plan and the clusters are asked."""

    period: Quarter | int | None = None
    topic: Topic | None = None
    scope: list[str] = field(default_factory=list)  # shaped like Ö1, H1.2, E1.2.4
    rest: list[str] = field(default_factory=list)  # a plan's own codes, a cluster's words

    def take_period(self, period: Quarter | int) -> None:
        if self.period is not None:
            raise usage_error("reason_twice", kind="period")
        self.period = period

    def take(self, word: str) -> None:
        """A word that does not start a quarter."""
        key = fold(word)
        if key in _TOPIC_WORDS:
            if self.topic is not None and self.topic != _TOPIC_WORDS[key]:
                raise usage_error("reason_twice", kind="topic")
            self.topic = _TOPIC_WORDS[key]
        elif _YEAR.fullmatch(key):
            self.take_period(int(key))
        elif _SCOPE.fullmatch(key):
            self.scope.append(word)
        elif _QUARTERISH.fullmatch(key.replace("c", "ç")):
            try:
                Quarter.parse(word)
            except QuarterError as error:
                raise DomainError("report_usage", reason=texts.describe(error)) from None
        else:
            self.rest.append(word)


def _sort_words(tokens: list[str]) -> _Words:
    read = _Words()
    i = 0
    while i < len(tokens):
        taken, quarter = _quarter_at(tokens, i)
        if quarter is not None:
            read.take_period(quarter)
            i += taken
        else:
            read.take(tokens[i])
            i += 1
    if len(read.scope) > 1:
        raise usage_error("reason_twice", kind="scope")
    return read


def _plan_item(session: Session, plan: Plan, scope_words: list[str],
               rest: list[str]) -> tuple[str | None, list[str]]:
    """(the plan item code the words name, the words left for a cluster)."""
    # Codes not in the bundled plan's shape (Ö1, H1.2, E1.2.4) are known by the plan itself.
    item_codes = {fold(code) for code in _item_codes(session, plan)}
    scope_words = scope_words + [w for w in rest if fold(w) in item_codes]
    rest = [w for w in rest if fold(w) not in item_codes]
    if len(scope_words) > 1:
        raise usage_error("reason_twice", kind="scope")
    return (find_scope(session, plan, scope_words[0]) if scope_words else None), rest


def _cluster_and_topic(session: Session, rest: list[str],
                       topic: Topic | None) -> tuple[str | None, Topic]:
    """The cluster the remaining words name (then the topic is kume unless another was
    given); no words left: no cluster, the topic given or genel."""
    if not rest:
        return None, topic or "genel"
    found = find_cluster(session, " ".join(rest), strict=topic in ("kume", "gosterge"))
    if found is None:
        raise usage_error("reason_unknown_word", words=rest)
    return found.code, topic or "kume"


def _check_combination(session: Session, topic: Topic, cluster: str | None,
                       scope: str | None) -> None:
    if topic == "kume" and cluster is None:
        raise usage_error("reason_no_cluster", clusters=_cluster_codes(session))
    if cluster is not None and topic not in ("kume", "gosterge"):
        raise usage_error("reason_cluster_topic", topic=topic)
    if scope is not None and topic == "gosterge":
        raise usage_error("reason_scope_topic")


def _quarter_at(tokens: list[str], i: int) -> tuple[int, Quarter | None]:
    """A quarter written in one to three words from tokens[i] ("2. çeyrek 2014")."""
    for size in (3, 2, 1):
        if i + size > len(tokens):
            continue
        text = " ".join(tokens[i : i + size])
        if size == 1 and _YEAR.fullmatch(text):
            return 0, None
        try:
            return size, Quarter.parse(text)
        except QuarterError:
            continue
    return 0, None


def _item_codes(session: Session, plan: Plan) -> list[str]:
    """The plan's priority, goal and action codes, in that order."""
    return [
        code
        for model in (Priority, Goal, Action)
        for code in session.exec(select(model.code).where(model.plan_id == plan.id)).all()
    ]


def find_scope(session: Session, plan: Plan, word: str) -> str:
    """The plan's code for a priority, goal or action code typed in any case ("e1.2.4")."""
    key = fold(word)
    for code in _item_codes(session, plan):
        if fold(code) == key:
            return code
    raise usage_error("reason_unknown_scope", code=word, plan=plan.code)


def _cluster_codes(session: Session) -> list[str]:
    return list(session.exec(select(Cluster.code).order_by(col(Cluster.position))).all())


class _Named(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def name(self) -> str: ...


NamedCluster = TypeVar("NamedCluster", bound=_Named)


def match_clusters(clusters: list[NamedCluster], text: str) -> list[NamedCluster]:
    """Clusters whose code or name is `text`, else whose name holds all of its words."""
    key = fold(text)
    exact = [c for c in clusters if key in (fold(c.code), fold(c.name))]
    if exact:
        return exact
    words = key.replace("-", " ").split()
    if not words:
        return []
    return [
        c for c in clusters
        if all(w in fold(c.name).replace("-", " ").split() or w in fold(c.code).split("-")
               for w in words)
    ]


def find_cluster(session: Session, text: str, *, strict: bool) -> Cluster | None:
    """The one cluster `text` names; with `strict` an unknown or ambiguous one is an error."""
    clusters = list(session.exec(select(Cluster).order_by(col(Cluster.position))).all())
    found = match_clusters(clusters, text)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise usage_error("reason_ambiguous_cluster", text=text, matches=[c.code for c in found])
    if strict:
        raise usage_error("reason_unknown_cluster", text=text, clusters=[c.code for c in clusters])
    return None
