"""Check located records and build a PlanSpec, collecting every problem with its place."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from tracker import texts
from tracker.models import (
    Action,
    Cluster,
    Goal,
    Indicator,
    IndicatorType,
    Organisation,
    OrgKind,
    Plan,
    Priority,
    ScorecardAdvice,
    ScorecardEntry,
)
from tracker.planfile.records import FileKind, PlanImportError, Problem, Record
from tracker.planfile.spec import (
    ActionSpec,
    AdviceSpec,
    ClusterSpec,
    GoalSpec,
    IndicatorSpec,
    OrganisationSpec,
    PlanSpec,
    PrioritySpec,
    ScorecardSpec,
)
from tracker.quarters import Quarter, QuarterError
from tracker.turkish import clean, fold

_RANGE = re.compile(r"^(.+?)\s*(?:–|—|\.\.|\s-\s)\s*(.+)$")
_HYPHEN_RANGE = re.compile(r"^(\d{4}\s*[QqÇçCc]\s*[1-4])\s*-\s*(\d{4}\s*[QqÇçCc]\s*[1-4])$")
# A code is typed after commands (/durum E1.2.4, /rapor H1.2) and shown in every message: letters
# (Turkish ones included), digits and . - _, starting with a letter or digit. README "Plans are
# data" documents this pattern.
_CODE_CHAR = "0-9A-Za-zÇĞİÖŞÜçğıöşüÂÎÛâîû"
CODE_PATTERN = re.compile(rf"[{_CODE_CHAR}][{_CODE_CHAR}._-]*")
_TRUE = {"evet", "true", "1", "doğru", "e", "yes"}
_FALSE = {"hayır", "hayir", "false", "0", "yanlış", "h", "no"}


def _length(model: Any, column: str) -> int:
    length: int = model.__table__.c[column].type.length
    return length


# The longest text each column of a plan file may hold: the database column's length, so a
# file that imports on SQLite imports on PostgreSQL too (which enforces it).
LIMITS: dict[tuple[str, str], int] = {
    ("plan", "code"): _length(Plan, "code"),
    ("plan", "title"): _length(Plan, "title"),
    ("plan", "source"): _length(Plan, "source"),
    ("priorities", "code"): _length(Priority, "code"),
    ("priorities", "title"): _length(Priority, "title"),
    ("goals", "code"): _length(Goal, "code"),
    ("goals", "title"): _length(Goal, "title"),
    ("actions", "code"): _length(Action, "code"),
    ("actions", "title"): _length(Action, "title"),
    ("indicators", "code"): _length(Indicator, "code"),
    ("indicators", "title"): _length(Indicator, "title"),
    ("indicators", "unit"): _length(Indicator, "unit"),
    ("indicators", "note"): _length(Indicator, "note"),
    ("clusters", "code"): _length(Cluster, "code"),
    ("clusters", "name"): _length(Cluster, "name"),
    ("organisations", "short"): _length(Organisation, "short"),
    ("organisations", "name"): _length(Organisation, "name"),
    ("organisations", "note"): _length(Organisation, "note"),
    ("scorecard", "sector"): _length(ScorecardEntry, "sector"),
    ("scorecard_advice", "text"): _length(ScorecardAdvice, "text"),
}


def _say(macro: str, **params: Any) -> str:
    return texts.say("texts/plan_import.j2", macro, **params)


class _Checker:
    def __init__(self, file: str, kind: FileKind):
        self.file = file
        self.kind = kind
        self.problems: list[Problem] = []

    def problem(self, record: Record | None, column: str | None, message: str) -> None:
        table = record.table if record else ""
        row = record.row if record else None
        if record is not None and record.table == "plan" and self.kind in ("json", "yaml"):
            row = None  # a document holds one plan object, not a numbered row
        letter = record.letters.get(column) if record and column else None
        self.problems.append(
            Problem(self.file, self.kind, table, row, column, message, letter=letter)
        )

    def text(self, record: Record, column: str, required: bool = True) -> str | None:
        text = self._text(record, column, required)
        return None if text is None else self._within_limit(record, column, text)

    def code(self, record: Record, column: str = "code") -> str | None:
        """A code of the plan (plan, priority, goal, action, indicator, cluster)."""
        text = self._text(record, column, required=True)
        if text is None:
            return None
        # Composed form, so a "İ" written as "I" + combining dot matches the pattern.
        text = unicodedata.normalize("NFC", text)
        if not CODE_PATTERN.fullmatch(text):
            limit = LIMITS[(record.table, column)]
            self.problem(record, column, _say("bad_code", value=text, limit=limit))
            return None
        return self._within_limit(record, column, text)

    def _within_limit(self, record: Record, column: str, text: str) -> str | None:
        limit = LIMITS.get((record.table, column))
        if limit is not None and len(text) > limit:
            self.problem(record, column, _say("too_long", length=len(text), limit=limit))
            return None
        return text

    def _text(self, record: Record, column: str, required: bool) -> str | None:
        value = record.values.get(column)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.problem(record, column, _say("required"))
            return None
        if isinstance(value, (list, dict)):
            self.problem(record, column, _say("not_text"))
            return None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        return clean(str(value))

    def integer(
        self,
        record: Record,
        column: str,
        allowed: Iterable[int] | None = None,
        required: bool = True,
    ) -> int | None:
        value = record.values.get(column)
        if value is None or value == "":
            if required:
                self.problem(record, column, _say("required"))
            return None
        try:
            number = Decimal(str(value).strip())
            if number != number.to_integral_value():
                raise InvalidOperation
            result = int(number)
        except (InvalidOperation, ValueError):
            self.problem(record, column, _say("not_integer", value=value))
            return None
        if allowed is not None and result not in allowed:
            self.problem(record, column, _say("not_allowed", value=value, allowed=list(allowed)))
            return None
        return result

    def decimal(self, record: Record, column: str) -> Decimal | None:
        value = record.values.get(column)
        if value is None or value == "":
            return None
        try:
            return Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            self.problem(record, column, _say("not_number", value=value))
            return None

    def boolean(self, record: Record, column: str, default: bool) -> bool:
        value = record.values.get(column)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        word = fold(str(value))
        if word in {fold(w) for w in _TRUE}:
            return True
        if word in {fold(w) for w in _FALSE}:
            return False
        self.problem(record, column, _say("not_boolean", value=value))
        return default

    def names(self, record: Record, column: str) -> list[str]:
        value = record.values.get(column)
        if value is None:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(record, column, _say("not_list"))
            return []
        names: list[str] = []
        for item in value:
            if isinstance(item, dict):
                item = item.get("short")
            if not isinstance(item, str) or not clean(item):
                self.problem(record, column, _say("not_list"))
                continue
            if fold(item) not in {fold(n) for n in names}:
                names.append(clean(item))
        return names

    def quarters(self, record: Record, column: str) -> list[Quarter] | None:
        value = record.values.get(column)
        if value is None or value == []:
            return []
        items = value if isinstance(value, list) else [value]
        result: list[Quarter] = []
        for item in items:
            try:
                result.extend(_parse_quarter_item(str(item)))
            except QuarterError as exc:
                self.problem(record, column, texts.describe(exc))
                return None
        return sorted(set(result))


def _parse_quarter_item(item: str) -> list[Quarter]:
    item = item.strip()
    try:
        return [Quarter.parse(item)]
    except QuarterError:
        match = _HYPHEN_RANGE.match(item) or _RANGE.match(item)
        if not match:
            raise
        start, end = Quarter.parse(match.group(1)), Quarter.parse(match.group(2))
        if end < start:
            raise QuarterError(item) from None
        return Quarter.range(start, end)


def build_spec(
    records: list[Record],
    file: str,
    kind: FileKind,
    known_organisations: dict[str, str],
    known_clusters: set[str],
) -> PlanSpec:
    """Validate everything; raise PlanImportError with all problems, or return the spec.

    known_organisations maps folded short names to the short names already in the database,
    so a file may name bodies it does not list itself. Tables are checked in the order their
    references need (clusters, organisations, priorities, goals, actions), so the problems
    come in that order.
    """
    check = _Checker(file, kind)
    tables = _Tables(records)
    spec, plan_quarters = _plan(check, tables)
    unique = _Unique(check)
    spec.clusters = _clusters(check, unique, tables)
    cluster_codes = {fold(c.code) for c in spec.clusters} | {fold(c) for c in known_clusters}
    spec.organisations = _organisations(check, unique, tables, cluster_codes)
    bodies = _Bodies(check, known_organisations, spec.organisations)
    for org, r in zip(spec.organisations, tables.rows_of("organisations", spec.organisations),
                      strict=True):
        org.members = bodies.resolve(r, "members", org.members)
    spec.priorities = _priorities(check, unique, tables)
    spec.goals = _goals(check, unique, tables, spec.priorities)
    spec.actions = _actions(check, unique, tables, spec, plan_quarters, bodies)
    spec.indicators = _indicators(check, unique, tables)
    spec.scorecard = _scorecard(check, tables)
    spec.scorecard_advice = _scorecard_advice(check, tables)
    if check.problems:
        raise PlanImportError(check.problems)
    return spec


class _Tables:
    """The records of each table, in file order."""

    def __init__(self, records: list[Record]) -> None:
        self._by_table: dict[str, list[Record]] = {}
        for record in records:
            self._by_table.setdefault(record.table, []).append(record)

    def __getitem__(self, table: str) -> list[Record]:
        return self._by_table.get(table, [])

    def rows_of(self, table: str, specs: list[Any], key: str = "short") -> list[Record]:
        """The record each accepted spec came from (specs keep the records' order)."""
        wanted = [fold(getattr(s, key)) for s in specs]
        rows = {
            fold(clean(str(r.values.get(key)))): r
            for r in reversed(self[table])
            if r.values.get(key) is not None
        }
        return [rows[w] for w in wanted]


class _Unique:
    """Codes and short names seen so far, per table: a second one is a problem."""

    def __init__(self, check: _Checker) -> None:
        self._check = check
        self._seen: dict[tuple[str, str], Record] = {}

    def __call__(self, record: Record, column: str, value: str | None) -> bool:
        if value is None:
            return False
        key = (record.table, fold(value))
        if key in self._seen:
            self._check.problem(record, column,
                                _say("duplicate", value=value, first=self._seen[key].row))
            return False
        self._seen[key] = record
        return True


class _Bodies:
    """The organisations a plan may name: the file's own and those already stored."""

    def __init__(self, check: _Checker, known: dict[str, str],
                 listed: list[OrganisationSpec]) -> None:
        self._check = check
        self._names = dict(known)
        self._names.update({fold(o.short): o.short for o in listed})

    def resolve(self, record: Record, column: str, names: list[str]) -> list[str]:
        """The stored spelling of each name; a problem for each unknown one."""
        resolved = []
        for name in names:
            if fold(name) not in self._names:
                self._check.problem(record, column, _say("unknown_organisation", value=name))
            else:
                resolved.append(self._names[fold(name)])
        return resolved


def _plan(check: _Checker, tables: _Tables) -> tuple[PlanSpec, list[Quarter]]:
    """The plan itself, and its quarters (none when its span is unusable)."""
    plan_records = tables["plan"]
    if len(plan_records) != 1:
        check.problem(None, None, _say("plan_count", count=len(plan_records)))
        raise PlanImportError(check.problems)
    record = plan_records[0]
    code = check.code(record)
    title = check.text(record, "title")
    start = _one_quarter(check, record, "start")
    end = _one_quarter(check, record, "end")
    if start and end and end < start:
        check.problem(record, "end", _say("end_before_start"))
    spec = PlanSpec(
        code or "",
        title or "",
        start or Quarter(2000, 1),
        end or Quarter(2000, 1),
        check.text(record, "source", required=False),
    )
    quarters = Quarter.range(start, end) if start and end and start <= end else []
    return spec, quarters


def _clusters(check: _Checker, unique: _Unique, tables: _Tables) -> list[ClusterSpec]:
    clusters = []
    for r in tables["clusters"]:
        code, name = check.code(r), check.text(r, "name")
        if unique(r, "code", code) and name:
            clusters.append(ClusterSpec(code or "", name))
    return clusters


def _organisations(check: _Checker, unique: _Unique, tables: _Tables,
                   cluster_codes: set[str]) -> list[OrganisationSpec]:
    """The listed organisations; their members are names still to resolve."""
    kinds = [k.value for k in OrgKind]
    organisations = []
    for r in tables["organisations"]:
        short, name = check.text(r, "short"), check.text(r, "name")
        kind = check.text(r, "kind")
        if kind is not None and kind not in kinds:
            check.problem(r, "kind", _say("not_allowed", value=kind, allowed=kinds))
        cluster = check.text(r, "cluster", required=False)
        if cluster is not None and fold(cluster) not in cluster_codes:
            check.problem(r, "cluster", _say("unknown_cluster", value=cluster))
        if unique(r, "short", short) and name and kind in kinds:
            organisations.append(OrganisationSpec(
                short or "", name, kind or "", check.names(r, "members"), cluster,
                check.text(r, "note", required=False)))
    return organisations


def _priorities(check: _Checker, unique: _Unique, tables: _Tables) -> list[PrioritySpec]:
    priorities = []
    for r in tables["priorities"]:
        code, title = check.code(r), check.text(r, "title")
        if unique(r, "code", code) and title:
            priorities.append(PrioritySpec(code or "", title))
    return priorities


def _goals(check: _Checker, unique: _Unique, tables: _Tables,
           priorities: list[PrioritySpec]) -> list[GoalSpec]:
    codes = {fold(p.code): p.code for p in priorities}
    goals = []
    for r in tables["goals"]:
        code, title = check.code(r), check.text(r, "title")
        parent = check.text(r, "priority")
        if parent is not None and fold(parent) not in codes:
            check.problem(r, "priority", _say("unknown_parent", value=parent, what="öncelik"))
            parent = None
        if unique(r, "code", code) and title and parent:
            goals.append(GoalSpec(code or "", codes[fold(parent)], title))
    return goals


def _actions(check: _Checker, unique: _Unique, tables: _Tables, spec: PlanSpec,
             plan_quarters: list[Quarter], bodies: _Bodies) -> list[ActionSpec]:
    """Actions under known goals, their bodies resolved, their schedules inside the plan (no
    schedule, or one flagged as the default that spans the plan, is the default one)."""
    goal_codes = {fold(g.code): g.code for g in spec.goals}
    actions = []
    for r in tables["actions"]:
        code, title = check.code(r), check.text(r, "title")
        parent = check.text(r, "goal")
        if parent is not None and fold(parent) not in goal_codes:
            check.problem(r, "goal", _say("unknown_parent", value=parent, what="hedef"))
            parent = None
        responsible = bodies.resolve(r, "responsible", check.names(r, "responsible"))
        quarters = check.quarters(r, "quarters")
        flagged_default = check.boolean(r, "schedule_is_default", default=True)
        quarters = _inside_plan(check, r, quarters, spec, plan_quarters)
        if quarters is None:
            continue
        is_default = flagged_default and (not quarters or quarters == plan_quarters)
        if unique(r, "code", code) and title and parent:
            actions.append(ActionSpec(code or "", goal_codes[fold(parent)], title, responsible,
                                      quarters or list(plan_quarters), is_default))
    return actions


def _inside_plan(check: _Checker, record: Record, quarters: list[Quarter] | None,
                 spec: PlanSpec, plan_quarters: list[Quarter]) -> list[Quarter] | None:
    """An action's quarters ([]: none given) if they lie in the plan; else None, a problem."""
    if quarters and plan_quarters:
        outside = [q for q in quarters if q < spec.start or q > spec.end]
        if outside:
            check.problem(record, "quarters", _say(
                "quarter_outside_plan", value=str(outside[0]), start=str(spec.start),
                end=str(spec.end)))
            return None
    return quarters


def _indicators(check: _Checker, unique: _Unique, tables: _Tables) -> list[IndicatorSpec]:
    types = [t.value for t in IndicatorType]
    indicators = []
    for r in tables["indicators"]:
        code, title = check.code(r), check.text(r, "title")
        level = check.integer(r, "level", allowed=(1, 2))
        value_type = check.text(r, "type")
        if value_type is not None and value_type not in types:
            check.problem(r, "type", _say("not_allowed", value=value_type, allowed=types))
            value_type = None
        unit = check.text(r, "unit")
        low, high = check.decimal(r, "min"), check.decimal(r, "max")
        if low is not None and high is not None and low > high:
            check.problem(r, "max", _say("min_above_max", low=low, high=high))
        if unique(r, "code", code) and title and level and value_type and unit:
            indicators.append(IndicatorSpec(
                code or "", title, level, unit, value_type, low, high,
                check.boolean(r, "measure_is_assumed", default=True),
                check.text(r, "note", required=False)))
    return indicators


def _scorecard(check: _Checker, tables: _Tables) -> list[ScorecardSpec]:
    entries = []
    for r in tables["scorecard"]:
        sector = check.text(r, "sector")
        index = check.integer(r, "index")
        category = check.integer(r, "category")
        if sector and index is not None and category is not None:
            entries.append(ScorecardSpec(sector, index, category))
    return entries


def _scorecard_advice(check: _Checker, tables: _Tables) -> list[AdviceSpec]:
    advice = []
    for r in tables["scorecard_advice"]:
        text = check.text(r, "text")
        category = check.integer(r, "category", required=False)
        if text:
            advice.append(AdviceSpec(category, text))
    return advice


def _one_quarter(check: _Checker, record: Record, column: str) -> Quarter | None:
    raw = check.text(record, column)
    if raw is None:
        return None
    try:
        return Quarter.parse(raw)
    except QuarterError as exc:
        check.problem(record, column, texts.describe(exc))
        return None
