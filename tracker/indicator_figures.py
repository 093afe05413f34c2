"""Indicator figures: who enters which indicators, checking a typed figure, storing versions.

A cluster management body's reporter enters the level-1 indicators of its own cluster; the
agency (agency staff and admins) enters the level-2 indicators, for a cluster it chooses. The
indicators are those of the plan(s) active in the period. Figures are append-only: each
correction is a new version per (indicator, subject, period).

No Telegram here: the /gosterge dialog (tracker.dialogs.figures) calls these.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from tracker.access import may_enter_figures
from tracker.errors import DomainError, Forbidden
from tracker.models import (
    Cluster,
    Indicator,
    IndicatorType,
    IndicatorValue,
    Organisation,
    Person,
    Plan,
    Role,
)
from tracker.numbers import NumberFormatError, parse_tr_figure
from tracker.quarters import Quarter
from tracker.rows import organisation_id_of
from tracker.turkish import fold

LEVEL_CLUSTER = 1  # entered by the cluster's management body
LEVEL_AGENCY = 2  # entered by the agency, per cluster
WHOLE_TYPES = frozenset({IndicatorType.COUNT, IndicatorType.CHANGE_COUNT})
PERCENT_TYPES = frozenset({IndicatorType.PERCENT, IndicatorType.CHANGE_PERCENT})
CHANGE_TYPES = frozenset({IndicatorType.CHANGE_COUNT, IndicatorType.CHANGE_PERCENT})
# A figure this many times above (or below a this-th of) the previous one is asked about.
IMPLAUSIBLE_FACTOR = Decimal(10)
# What the database keeps (Numeric(24, 6)); more would be rounded silently.
MAX_DECIMALS = 6
# Typed instead of a number: "the same as last period".
SAME_WORDS = frozenset({"ayni", "=", "gecen donemle ayni", "ayni kaldi", "degismedi"})

Direction = Literal["above", "below"]


class FigureError(DomainError):
    """A typed figure that cannot be stored; `str()` says why, in Turkish."""

    template = "texts/dialog_errors.j2"


class FiguresForbidden(Forbidden):
    """The person may not enter figures (or not for that cluster)."""

    template = "texts/dialog_errors.j2"


@dataclass(frozen=True)
class FigureScope:
    """What a person enters: indicators of `level`, for one of `clusters`."""

    level: int
    clusters: list[Cluster]

    def allows(self, cluster: Cluster) -> bool:
        return any(c.id == cluster.id for c in self.clusters)


def subject_key(cluster: Cluster) -> str:
    return f"c{cluster.id}"


def figure_scope(session: Session, person: Person) -> FigureScope:
    """Level and clusters for `person`; FiguresForbidden if they enter no figures."""
    organisation = session.get(Organisation, person.organisation_id)
    short = organisation.short if organisation is not None else ""
    kind = organisation.kind if organisation is not None else None
    if not person.active or not may_enter_figures(person, kind):
        raise FiguresForbidden("figures_not_allowed", organisation=short)
    if person.role in (Role.ADMIN, Role.AGENCY):
        clusters = session.exec(select(Cluster).order_by(col(Cluster.position), col(Cluster.id)))
        return FigureScope(LEVEL_AGENCY, list(clusters))
    cluster_id = (organisation.cluster_id if organisation else None) or person.cluster_id
    cluster = session.get(Cluster, cluster_id) if cluster_id is not None else None
    if cluster is None:
        raise FiguresForbidden("figures_no_cluster", organisation=short)
    return FigureScope(LEVEL_CLUSTER, [cluster])


def active_plans(session: Session, period: Quarter) -> list[Plan]:
    plans = session.exec(select(Plan).order_by(col(Plan.id))).all()
    return [p for p in plans if Quarter.parse(p.start) <= period <= Quarter.parse(p.end)]


def indicators_for(session: Session, level: int, period: Quarter) -> list[Indicator]:
    """The indicators of `level` of the plans active in `period`, in plan order."""
    plan_ids = [p.id for p in active_plans(session, period)]
    if not plan_ids:
        return []
    return list(
        session.exec(
            select(Indicator)
            .where(col(Indicator.plan_id).in_(plan_ids), Indicator.level == level)
            .order_by(col(Indicator.plan_id), col(Indicator.position), col(Indicator.id))
        ).all()
    )


def indicators_for_person(session: Session, person: Person, period: Quarter) -> list[Indicator]:
    return indicators_for(session, figure_scope(session, person).level, period)


def _latest(
    session: Session, indicator_ids: list[int], cluster: Cluster, period: Quarter, before: bool
) -> dict[int, IndicatorValue]:
    """Per indicator, the current version of the latest period before (or in) `period`."""
    if not indicator_ids:
        return {}
    # Canonical quarters ("2014Q1", four-digit years) sort as text in time order.
    period_filter = (
        col(IndicatorValue.period) < str(period)
        if before
        else col(IndicatorValue.period) == str(period)
    )
    rows = session.exec(
        select(IndicatorValue)
        .where(
            col(IndicatorValue.indicator_id).in_(indicator_ids),
            IndicatorValue.subject_key == subject_key(cluster),
            period_filter,
        )
        .order_by(col(IndicatorValue.period), col(IndicatorValue.version))
    ).all()
    return {row.indicator_id: row for row in rows}


def previous_entries(
    session: Session, indicators: list[Indicator], cluster: Cluster, period: Quarter
) -> dict[int, IndicatorValue]:
    """Indicator id -> current value row of the most recent period before `period`."""
    return _latest(session, [i.id for i in indicators if i.id], cluster, period, before=True)


def current_entries(
    session: Session, indicators: list[Indicator], cluster: Cluster, period: Quarter
) -> dict[int, IndicatorValue]:
    """Indicator id -> the latest version stored for `period` itself."""
    return _latest(session, [i.id for i in indicators if i.id], cluster, period, before=False)


def previous_value(
    session: Session, indicator: Indicator, cluster: Cluster, period: Quarter
) -> Decimal | None:
    """The current (latest version) value of the most recent period before `period`."""
    row = previous_entries(session, [indicator], cluster, period).get(indicator.id or 0)
    return row.value if row is not None else None


def check_value(indicator: Indicator, value: Decimal) -> Decimal:
    """`value` if it fits the indicator (whole number, range, precision); else FigureError."""
    if indicator.value_type in WHOLE_TYPES and value != value.to_integral_value():
        raise FigureError("figure_not_whole", value=value)
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_DECIMALS:
        raise FigureError("figure_too_precise", places=MAX_DECIMALS)
    low, high = indicator.min_value, indicator.max_value
    if (low is not None and value < low) or (high is not None and value > high):
        if low is not None and high is not None:
            raise FigureError(
                "figure_out_of_range", value=value, low=low, high=high, unit=indicator.unit
            )
        if low is not None:
            raise FigureError("figure_below_min", value=value, low=low, unit=indicator.unit)
        raise FigureError("figure_above_max", value=value, high=high, unit=indicator.unit)
    return value


def check_figure(indicator: Indicator, text: str, previous: Decimal | None = None) -> Decimal:
    """Read a typed figure for `indicator`; FigureError with a Turkish reason if unusable.

    Accepts what tracker.numbers accepts ("1.234.567", "12,5", "%12,5", "1,2 milyon"). With a
    previous value, "aynı" (or "=") means that value.
    """
    if previous is not None and fold(text) in SAME_WORDS:
        return check_value(indicator, previous)
    try:
        parsed = parse_tr_figure(text)
    except NumberFormatError as error:
        raise FigureError("figure_not_number", problem=error) from None
    if parsed.had_percent and indicator.value_type not in PERCENT_TYPES and indicator.unit != "%":
        raise FigureError("figure_percent_sign", title=indicator.title)
    if parsed.unit is not None and fold(parsed.unit) != fold(indicator.unit):
        raise FigureError("figure_wrong_unit", unit=parsed.unit, expected=indicator.unit)
    return check_value(indicator, parsed.value)


def implausibility(
    value: Decimal, previous: Decimal | None, value_type: IndicatorType | str | None = None
) -> Direction | None:
    """The direction ("above"/"below") when `value` is far from a non-zero `previous`, else None.

    Far: more than IMPLAUSIBLE_FACTOR times the previous magnitude, less than its
    IMPLAUSIBLE_FACTOR-th, or (except for change types, which swing either way) of the
    opposite sign.
    """
    if previous is None or previous.is_zero() or value == previous:
        return None
    direction: Direction = "above" if value > previous else "below"
    if value_type not in CHANGE_TYPES and not value.is_zero() and (value < 0) != (previous < 0):
        return direction
    size, before = abs(value), abs(previous)
    if size > before * IMPLAUSIBLE_FACTOR or size * IMPLAUSIBLE_FACTOR < before:
        return direction
    return None


def is_implausible(
    value: Decimal, previous: Decimal | None, value_type: IndicatorType | str | None = None
) -> bool:
    return implausibility(value, previous, value_type) is not None


def record_figures(
    session: Session,
    person: Person,
    cluster: Cluster,
    period: Quarter,
    values: dict[int, Decimal],
    now: datetime,
    source_key: str,
) -> list[IndicatorValue]:
    """Store one new version per entered indicator; the same source_key stores nothing twice.

    Each row's source_key is f"{source_key}:{indicator code}". Raises FiguresForbidden when
    the person may not enter these indicators for this cluster, FigureError for a bad value.
    """
    if not values:
        return []
    scope = figure_scope(session, person)
    if not scope.allows(cluster):
        raise FiguresForbidden("figures_wrong_cluster", cluster=cluster.name)
    allowed = {i.id: i for i in indicators_for(session, scope.level, period)}
    unknown = [i for i in values if i not in allowed]
    if unknown:
        raise FiguresForbidden("figures_wrong_indicator", count=len(unknown))
    # Codes are unique per plan; should two active plans share one, the id tells them apart.
    shared = {c for c, n in Counter(allowed[i].code for i in values).items() if n > 1}
    keys = {
        i: f"{source_key}:{allowed[i].code}" + (f".{i}" if allowed[i].code in shared else "")
        for i in values
    }

    def stored() -> dict[str, IndicatorValue]:
        rows = session.exec(
            select(IndicatorValue).where(col(IndicatorValue.source_key).in_(list(keys.values())))
        ).all()
        return {row.source_key or "": row for row in rows}

    already = stored()
    todo = [i for i in values if keys[i] not in already]
    for indicator_id in todo:
        check_value(allowed[indicator_id], values[indicator_id])
    versions = (
        dict(
            session.exec(
                select(IndicatorValue.indicator_id, func.max(IndicatorValue.version))
                .where(
                    col(IndicatorValue.indicator_id).in_(todo),
                    IndicatorValue.subject_key == subject_key(cluster),
                    IndicatorValue.period == str(period),
                )
                .group_by(col(IndicatorValue.indicator_id))
            ).all()
        )
        if todo
        else {}
    )
    new_rows = [
        IndicatorValue(
            indicator_id=indicator_id,
            cluster_id=cluster.id,
            organisation_id=organisation_id_of(person),
            subject_key=subject_key(cluster),
            period=str(period),
            version=(versions.get(indicator_id) or 0) + 1,
            value=values[indicator_id],
            person_id=person.id,
            created_at=now,
            source_key=keys[indicator_id],
        )
        for indicator_id in todo
    ]
    if new_rows:
        try:
            with session.begin_nested():
                session.add_all(new_rows)
                session.flush()
        except IntegrityError:
            # Another worker stored the same answers a moment ago; theirs are the ones.
            already = stored()
            if any(keys[i] not in already for i in values):
                raise
            new_rows = []
    by_key = {**already, **{row.source_key or "": row for row in new_rows}}
    return [by_key[keys[i]] for i in values]
