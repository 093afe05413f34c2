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
    so a file may name bodies it does not list itself.
    """
    check = _Checker(file, kind)
    by_table: dict[str, list[Record]] = {}
    for record in records:
        by_table.setdefault(record.table, []).append(record)

    plan_records = by_table.get("plan", [])
    if len(plan_records) != 1:
        check.problem(None, None, _say("plan_count", count=len(plan_records)))
        raise PlanImportError(check.problems)
    plan_record = plan_records[0]
    code = check.code(plan_record)
    title = check.text(plan_record, "title")
    start = _one_quarter(check, plan_record, "start")
    end = _one_quarter(check, plan_record, "end")
    if start and end and end < start:
        check.problem(plan_record, "end", _say("end_before_start"))
    spec = PlanSpec(
        code or "",
        title or "",
        start or Quarter(2000, 1),
        end or Quarter(2000, 1),
        check.text(plan_record, "source", required=False),
    )

    seen: dict[tuple[str, str], Record] = {}

    def unique(record: Record, column: str, value: str | None, table: str | None = None) -> bool:
        if value is None:
            return False
        key = (table or record.table, fold(value))
        if key in seen:
            check.problem(record, column, _say("duplicate", value=value, first=seen[key].row))
            return False
        seen[key] = record
        return True

    for r in by_table.get("clusters", []):
        c_code, name = check.code(r), check.text(r, "name")
        if unique(r, "code", c_code) and name:
            spec.clusters.append(ClusterSpec(c_code or "", name))
    cluster_codes = {fold(c.code) for c in spec.clusters} | {fold(c) for c in known_clusters}

    org_kinds = [k.value for k in OrgKind]
    for r in by_table.get("organisations", []):
        short, name = check.text(r, "short"), check.text(r, "name")
        org_kind = check.text(r, "kind")
        if org_kind is not None and org_kind not in org_kinds:
            check.problem(r, "kind", _say("not_allowed", value=org_kind, allowed=org_kinds))
        cluster = check.text(r, "cluster", required=False)
        if cluster is not None and fold(cluster) not in cluster_codes:
            check.problem(r, "cluster", _say("unknown_cluster", value=cluster))
        if unique(r, "short", short) and name and org_kind in org_kinds:
            spec.organisations.append(
                OrganisationSpec(
                    short or "",
                    name,
                    org_kind or "",
                    check.names(r, "members"),
                    cluster,
                    check.text(r, "note", required=False),
                )
            )
    org_names = dict(known_organisations)
    org_names.update({fold(o.short): o.short for o in spec.organisations})

    def org_refs(record: Record, column: str, names: list[str]) -> list[str]:
        resolved = []
        for name in names:
            if fold(name) not in org_names:
                check.problem(record, column, _say("unknown_organisation", value=name))
            else:
                resolved.append(org_names[fold(name)])
        return resolved

    for org, r in zip(
        spec.organisations,
        _rows_of(by_table, "organisations", spec.organisations, key="short"),
        strict=True,
    ):
        org.members = org_refs(r, "members", org.members)

    for r in by_table.get("priorities", []):
        p_code, p_title = check.code(r), check.text(r, "title")
        if unique(r, "code", p_code) and p_title:
            spec.priorities.append(PrioritySpec(p_code or "", p_title))
    priority_codes = {fold(p.code): p.code for p in spec.priorities}

    for r in by_table.get("goals", []):
        g_code, g_title = check.code(r), check.text(r, "title")
        parent = check.text(r, "priority")
        if parent is not None and fold(parent) not in priority_codes:
            check.problem(r, "priority", _say("unknown_parent", value=parent, what="öncelik"))
            parent = None
        if unique(r, "code", g_code) and g_title and parent:
            spec.goals.append(GoalSpec(g_code or "", priority_codes[fold(parent)], g_title))
    goal_codes = {fold(g.code): g.code for g in spec.goals}

    plan_quarters = Quarter.range(spec.start, spec.end) if start and end and start <= end else []
    for r in by_table.get("actions", []):
        a_code, a_title = check.code(r), check.text(r, "title")
        parent = check.text(r, "goal")
        if parent is not None and fold(parent) not in goal_codes:
            check.problem(r, "goal", _say("unknown_parent", value=parent, what="hedef"))
            parent = None
        responsible = org_refs(r, "responsible", check.names(r, "responsible"))
        quarters = check.quarters(r, "quarters")
        flagged_default = check.boolean(r, "schedule_is_default", default=True)
        if quarters and plan_quarters:
            outside = [q for q in quarters if q < spec.start or q > spec.end]
            if outside:
                check.problem(
                    r,
                    "quarters",
                    _say(
                        "quarter_outside_plan",
                        value=str(outside[0]),
                        start=str(spec.start),
                        end=str(spec.end),
                    ),
                )
                quarters = None
        if quarters is None:
            continue
        is_default = flagged_default and (not quarters or quarters == plan_quarters)
        if unique(r, "code", a_code) and a_title and parent:
            spec.actions.append(
                ActionSpec(
                    a_code or "",
                    goal_codes[fold(parent)],
                    a_title,
                    responsible,
                    quarters or list(plan_quarters),
                    is_default,
                )
            )

    types = [t.value for t in IndicatorType]
    for r in by_table.get("indicators", []):
        i_code, i_title = check.code(r), check.text(r, "title")
        level = check.integer(r, "level", allowed=(1, 2))
        i_type = check.text(r, "type")
        if i_type is not None and i_type not in types:
            check.problem(r, "type", _say("not_allowed", value=i_type, allowed=types))
            i_type = None
        unit = check.text(r, "unit")
        low, high = check.decimal(r, "min"), check.decimal(r, "max")
        if low is not None and high is not None and low > high:
            check.problem(r, "max", _say("min_above_max", low=low, high=high))
        if unique(r, "code", i_code) and i_title and level and i_type and unit:
            spec.indicators.append(
                IndicatorSpec(
                    i_code or "",
                    i_title,
                    level,
                    unit,
                    i_type,
                    low,
                    high,
                    check.boolean(r, "measure_is_assumed", default=True),
                    check.text(r, "note", required=False),
                )
            )

    for r in by_table.get("scorecard", []):
        sector = check.text(r, "sector")
        index = check.integer(r, "index")
        category = check.integer(r, "category")
        if sector and index is not None and category is not None:
            spec.scorecard.append(ScorecardSpec(sector, index, category))
    for r in by_table.get("scorecard_advice", []):
        advice = check.text(r, "text")
        category = check.integer(r, "category", required=False)
        if advice:
            spec.scorecard_advice.append(AdviceSpec(category, advice))

    if check.problems:
        raise PlanImportError(check.problems)
    return spec


def _one_quarter(check: _Checker, record: Record, column: str) -> Quarter | None:
    raw = check.text(record, column)
    if raw is None:
        return None
    try:
        return Quarter.parse(raw)
    except QuarterError as exc:
        check.problem(record, column, texts.describe(exc))
        return None


def _rows_of(
    by_table: dict[str, list[Record]], table: str, specs: list[Any], key: str
) -> list[Record]:
    """The record each accepted spec came from (specs keep the records' order)."""
    wanted = [fold(getattr(s, key)) for s in specs]
    rows = {
        fold(clean(str(r.values.get(key)))): r
        for r in reversed(by_table.get(table, []))
        if r.values.get(key) is not None
    }
    return [rows[w] for w in wanted]
