"""The report as an Excel workbook: Özet, Eylemler, Güncellemeler, Göstergeler, Katılım.

The tables are pandas DataFrames (`tables()`, built once per workbook, object columns so that
numbers stay numbers and times stay times); tracker.spreadsheets writes them like every kume
workbook: a bold, frozen header row with an auto filter, column widths fitted to the text
(capped; longer text wraps), text always as text cells. Times are date cells in naive Istanbul
local time, progress, figures and counts are number cells. The same report gives the same
bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd

from tracker import spreadsheets, texts
from tracker.planfile.export import compact_quarters
from tracker.quarters import ISTANBUL, Quarter
from tracker.reports.data import COUNTED, INACTIVE, Report
from tracker.reports.filters import WORDS
from tracker.spreadsheets import Sheet, number

SHEETS: tuple[str, ...] = ("ozet", "eylemler", "guncellemeler", "gostergeler", "katilim",
                           "uyeler", "etkinlikler")
_DECIMAL_FORMAT = "0.0"

ACTION_KEYS = ("action_code", "action_title", "priority_code", "goal", "responsible", "schedule",
               "schedule_is_default", "state", "progress", "respondents", "narrative",
               "updated_at")
HISTORY_KEYS = ("quarter", "action_code", "action_title", "organisation", "state", "progress",
                "narrative", "blockers", "evidence_link", "evidence_file_name", "evidence_note",
                "person", "version", "current", "created_at")
FIGURE_KEYS = ("quarter", "indicator_code", "indicator_title", "unit", "cluster_code", "subject",
               "organisation", "value", "previous_period", "previous_value", "change",
               "change_percent", "implausible", "version", "created_at")
TURNOUT_KEYS = ("quarter", "organisation", "organisation_name", "contacts", "contact_names",
                "actions_asked", "actions_answered", "figures_asked", "figures_answered",
                "turnout", "prompts_sent", "reminders_sent", "first_answer", "last_answer")
FLAG_KEYS = ("flag", "item", "who", "detail")
MEMBER_KEYS = ("cluster_code", "cluster_name", "members_start", "members_end", "members_joined",
               "members_left", "members_change")
EVENT_KEYS = ("event_date", "event_title", "event_clusters", "action_code", "event_told",
              "event_yes", "event_scanned", "event_manual", "event_attended",
              "event_satisfaction", "event_satisfaction_answers")
PRIORITY_KEYS = ("priority_code", "priority_title", "actions", *COUNTED, "average_progress")
# Every `column` key of templates/texts/report.j2 the workbook uses (states use `state`).
COLUMN_KEYS: tuple[str, ...] = tuple(dict.fromkeys(
    k for keys in (PRIORITY_KEYS, ACTION_KEYS, HISTORY_KEYS, FIGURE_KEYS, TURNOUT_KEYS, FLAG_KEYS,
                   MEMBER_KEYS, EVENT_KEYS)
    for k in keys if k not in COUNTED))
# Columns with one decimal place; the others keep the number as it is.
_DECIMAL_COLUMNS = {"average_progress", "change_percent", "event_satisfaction"}


def _local(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(ISTANBUL).replace(tzinfo=None)


def _frame(rows: list[dict[str, Any]], keys: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(keys), dtype=object)


class _Words:
    def __init__(self) -> None:
        self.yes = texts.say(WORDS, "yes_no", value=True)
        self.no = texts.say(WORDS, "yes_no", value=False)
        self.states = {k: texts.say(WORDS, "state", key=k) for k in (*COUNTED, INACTIVE)}

    def yes_no(self, value: bool) -> str:
        return self.yes if value else self.no


def tables(report: Report) -> dict[str, pd.DataFrame]:
    """The data sheets as DataFrames (keys of templates/texts/report.j2 `column` as columns)."""
    words = _Words()
    actions = [
        {
            "action_code": s.action.code,
            "action_title": s.action.title,
            "priority_code": s.action.priority_code,
            "goal": s.action.goal_code,
            "responsible": "; ".join(s.action.responsible),
            "schedule": compact_quarters([str(q) for q in s.action.quarters]),
            "schedule_is_default": words.yes_no(s.action.schedule_is_default),
            "state": words.states[s.state],
            "progress": s.progress if s.progress is None or s.progress % 1 else int(s.progress),
            "respondents": "; ".join(s.respondents),
            "narrative": "\n".join(
                f"{r.organisation_short}: {r.narrative}" if len(s.latest) > 1 else r.narrative
                for r in s.latest if r.narrative),
            "updated_at": _local(s.updated_at),
        }
        for s in report.statuses
    ]
    history = [
        {
            "quarter": str(r.quarter),
            "action_code": r.action_code,
            "action_title": r.action_title,
            "organisation": r.organisation_short,
            "state": words.states.get(r.status, r.status),
            "progress": r.progress,
            "narrative": r.narrative,
            "blockers": r.blockers,
            "evidence_link": r.evidence_link,
            "evidence_file_name": r.evidence_file_name,
            "evidence_note": r.evidence_note,
            "person": r.person_name,
            "version": r.version,
            "current": words.yes_no(r.current),
            "created_at": _local(r.created_at),
        }
        for r in report.history
    ]
    figures = [
        {
            "quarter": str(r.period),
            "indicator_code": r.indicator_code,
            "indicator_title": r.indicator_title,
            "unit": r.unit,
            "cluster_code": r.cluster_code,
            "subject": r.subject,
            "organisation": r.organisation_short,
            "value": number(r.value),
            "previous_period": str(r.previous_period) if r.previous_period else None,
            "previous_value": number(r.previous_value),
            "change": number(r.change),
            "change_percent": None if r.change_percent is None else round(r.change_percent, 1),
            "implausible": words.yes_no(bool(r.implausible)),
            "version": r.version,
            "created_at": _local(r.created_at),
        }
        for r in report.indicators
    ]
    turnout = [
        {
            "quarter": str(p.quarter),
            "organisation": p.organisation_short,
            "organisation_name": p.organisation_name,
            "contacts": len(p.contacts),
            "contact_names": "; ".join(p.contacts),
            "actions_asked": len(p.actions_asked),
            "actions_answered": len(p.actions_answered),
            "figures_asked": words.yes_no(p.figures_asked),
            "figures_answered": words.yes_no(p.figures_answered) if p.figures_asked else None,
            "turnout": texts.say(WORDS, "turnout", key=p.state),
            "prompts_sent": p.prompts_sent,
            "reminders_sent": p.reminders_sent,
            "first_answer": _local(p.first_answer),
            "last_answer": _local(p.last_answer),
        }
        for p in report.participation
    ]
    members = [
        {
            "cluster_code": m.cluster_code,
            "cluster_name": m.cluster_name,
            "members_start": m.active_before,
            "members_end": m.active,
            "members_joined": m.joined,
            "members_left": m.left,
            "members_change": m.change,
        }
        for m in report.members
    ]
    events = [
        {
            "event_date": _local(e.starts_at),
            "event_title": e.title,
            "event_clusters": "; ".join(e.clusters) or texts.say(WORDS, "all_members"),
            "action_code": e.action_code,
            "event_told": e.told,
            "event_yes": e.yes,
            "event_scanned": e.scanned,
            "event_manual": e.manual,
            "event_attended": e.attended,
            "event_satisfaction": e.satisfaction,
            "event_satisfaction_answers": e.satisfaction_answers,
        }
        for e in report.events
    ]
    return {
        "eylemler": _frame(actions, ACTION_KEYS),
        "guncellemeler": _frame(history, HISTORY_KEYS),
        "gostergeler": _frame(figures, FIGURE_KEYS),
        "katilim": _frame(turnout, TURNOUT_KEYS),
        "uyeler": _frame(members, MEMBER_KEYS),
        "etkinlikler": _frame(events, EVENT_KEYS),
    }


def _summary_blocks(report: Report) -> tuple[pd.DataFrame, list[tuple[str, Any]], pd.DataFrame]:
    """Özet: status counts per priority, facts about the report, the red flags."""
    counted = [s for s in report.statuses if s.state != INACTIVE]
    keys = PRIORITY_KEYS
    rows = []
    groups = [(p.code, p.title, [s for s in counted if s.action.priority_code == p.code])
              for p in report.priorities]
    groups.append((texts.say(WORDS, "total"), "", counted))
    for code, title, mine in groups:
        progress = [s.progress for s in mine if s.progress is not None]
        row: dict[str, Any] = {"priority_code": code, "priority_title": title,
                               "actions": len(mine)}
        for state in COUNTED:
            row[state] = sum(1 for s in mine if s.state == state)
        row["average_progress"] = round(sum(progress) / len(progress), 1) if progress else None
        rows.append(row)
    priorities = _frame(rows, keys)

    info = lambda key: texts.say(WORDS, "info", key=key)  # noqa: E731
    asked = [p for p in report.participation if p.quarter == report.period_end]
    facts: list[tuple[str, Any]] = [
        (info("plan"), f"{report.plan.code} · {report.plan.title}"),
        (info("period"), report.title),
        (info("scope"), f"{report.filters.scope} · {report.scope_title}"
         if report.filters.scope else texts.say(WORDS, "everything")),
        (info("topic"), texts.say(WORDS, "topic_label", key=report.topic)),
    ]
    if report.cluster:
        facts.append((info("cluster"), report.cluster.name))
    facts += [
        (info("created"), _local(report.now)),
        (info("actions"), len(counted)),
        (info("asked"), len(asked)),
        (info("complete"), sum(1 for p in asked if p.complete)),
        (info("partial"), sum(1 for p in asked if p.state == "partial")),
        (info("figures"), len(report.indicators)),
        (info("flags"), report.flags.count),
        (info("events"), len(report.events)),
        (info("event_attendance"), sum(e.attended for e in report.events)),
    ]

    flag_rows: list[dict[str, Any]] = []
    flags = report.flags
    for f in flags.delayed:
        flag_rows.append({"flag": texts.say(WORDS, "flag", kind="delayed"), "item": f.action_code,
                          "who": "; ".join(f.organisations),
                          "detail": texts.say(WORDS, "detail_delayed",
                                              organisations=f.organisations)})
    for code in flags.unassigned:
        flag_rows.append({"flag": texts.say(WORDS, "flag", kind="unassigned"), "item": code,
                          "who": None, "detail": texts.say(WORDS, "detail_unassigned")})
    for s in flags.stale:
        flag_rows.append({"flag": texts.say(WORDS, "flag", kind="stale"), "item": s.action_code,
                          "who": s.organisation_short,
                          "detail": texts.say(WORDS, "detail_stale", progress=s.progress,
                                              first=s.quarters[0], second=s.quarters[1])})
    for r in flags.implausible:
        flag_rows.append({"flag": texts.say(WORDS, "flag", kind="implausible"),
                          "item": r.indicator_code, "who": r.subject,
                          "detail": texts.say(WORDS, "detail_implausible",
                                              previous=r.previous_value, value=r.value,
                                              previous_period=r.previous_period, unit=r.unit)})
    return priorities, facts, _frame(flag_rows, FLAG_KEYS)


# ------------------------------------------------------------------------------- writing


def _cell_value(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, Quarter):
        return str(value)
    return value


def _headers(keys: Iterable[str]) -> list[str]:
    labels = []
    for key in keys:
        labels.append(texts.say(WORDS, "state", key=key) if key in (*COUNTED, INACTIVE)
                      else texts.say(WORDS, "column", key=key))
    return labels


def _table_sheet(title: str, frame: pd.DataFrame) -> Sheet:
    keys = list(frame.columns)
    sheet = Sheet(title, number_formats={i: _DECIMAL_FORMAT for i, k in enumerate(keys)
                                         if k in _DECIMAL_COLUMNS})
    sheet.header(_headers(keys))
    for row in frame.itertuples(index=False, name=None):
        sheet.row([_cell_value(v) for v in row])
    return sheet


def workbook_bytes(report: Report) -> bytes:
    """The report as .xlsx bytes."""
    sheet_names = {key: texts.say(WORDS, "sheet", key=key) for key in SHEETS}

    priorities, facts, flags = _summary_blocks(report)
    summary = _table_sheet(sheet_names["ozet"], priorities)
    summary.blank()
    for key, value in facts:
        summary.key_row([key, _cell_value(value)])
    if len(flags):
        summary.blank()
        summary.header(_headers(flags.columns))
        for row in flags.itertuples(index=False, name=None):
            summary.row([_cell_value(v) for v in row])

    sheets = [summary]
    sheets += [_table_sheet(sheet_names[key], frame) for key, frame in tables(report).items()]
    return spreadsheets.workbook_bytes(sheets)
