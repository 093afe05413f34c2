"""The agency's report: a summary for the chat, an Excel workbook and charts.

    filters = parse_filters(words, session=session, now=now, settings=settings)
    report = build_report(session, filters, now=now, settings=settings)   # fixed query count
    summary_text(report); workbook_bytes(report); charts(report); write_report(report, out_dir)

No Telegram here: bot/handlers/report.py sends these, `kume report` writes them to a folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.reports.build import build_report
from tracker.reports.data import (
    ActionInfo,
    ActionStatus,
    ClusterInfo,
    DelayFlag,
    IndicatorRow,
    Participation,
    PlanInfo,
    PriorityInfo,
    QuarterTurnout,
    RedFlags,
    Report,
    StaleFlag,
    StatusRow,
    TrendSeries,
    combine,
)
from tracker.reports.filters import TOPICS, WORDS, ReportFilters, parse_filters
from tracker.reports.summary import TEMPLATE, SummaryView, plain_text, summary_text, summary_view

if TYPE_CHECKING:
    from tracker.reports.plots import Chart, charts
    from tracker.reports.workbook import tables, workbook_bytes

# Drawing and the workbook (matplotlib, pandas, openpyxl: ~100 MiB and most of a second) load
# when first used: the bot builds a report in its own process and draws it in a worker
# (bot/rendering.py), so it never loads them.
_LAZY = {"Chart": "plots", "charts": "plots", "tables": "workbook", "workbook_bytes": "workbook"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f"tracker.reports.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

# The templates whose macros a report calls (the ones they import come along): a report
# worker compiles them while it warms up (bot/rendering.py); a test holds the list complete.
TEMPLATES = (WORDS, TEMPLATE)

SUMMARY_FILE = "ozet.txt"
WORKBOOK_FILE = "rapor.xlsx"


def write_report(report: Report, out_dir: Path) -> list[Path]:
    """ozet.txt (the summary as plain text), rapor.xlsx and one PNG per chart, in `out_dir`."""
    from tracker.reports.plots import charts
    from tracker.reports.workbook import workbook_bytes

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = [out_dir / SUMMARY_FILE, out_dir / WORKBOOK_FILE]
    paths[0].write_text(plain_text(summary_text(report)), encoding="utf-8")
    paths[1].write_bytes(workbook_bytes(report))
    for chart in charts(report):
        path = out_dir / f"{chart.name}.png"
        path.write_bytes(chart.png)
        paths.append(path)
    return paths


__all__ = [
    "TEMPLATES",
    "TOPICS",
    "ActionInfo",
    "ActionStatus",
    "Chart",
    "ClusterInfo",
    "DelayFlag",
    "IndicatorRow",
    "Participation",
    "PlanInfo",
    "PriorityInfo",
    "QuarterTurnout",
    "RedFlags",
    "Report",
    "ReportFilters",
    "StaleFlag",
    "StatusRow",
    "SummaryView",
    "TrendSeries",
    "build_report",
    "charts",
    "combine",
    "parse_filters",
    "plain_text",
    "summary_text",
    "summary_view",
    "tables",
    "workbook_bytes",
    "write_report",
]
