"""The report's charts as PNG, readable on a phone: ~1080 px wide, large Turkish labels.

- "durum": actions by status per priority, stacked horizontal bars;
- "takvim": a Gantt view, actions × plan quarters, each cell coloured by the reported status
  (grey: active but unanswered; light: not in the schedule; pale blue: planned after the period);
- "gosterge_<code>": the trend of a main indicator, one line per cluster (topics gosterge, kume);
- "katilim": organisations asked and answering, per quarter (topic katilim).

matplotlib runs on the Agg backend with Figure objects only (no pyplot state, nothing to leak);
each figure is dropped after drawing. The words come from templates/texts/report.j2.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

from babel.numbers import format_compact_decimal  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

from tracker import texts  # noqa: E402
from tracker.formatting import LOCALE, number  # noqa: E402
from tracker.reports.data import (  # noqa: E402
    COUNTED,
    INACTIVE,
    NO_ANSWER,
    PLANNED,
    STATUSES,
    Report,
    TrendSeries,
)
from tracker.reports.filters import WORDS  # noqa: E402

WIDTH = 10.8  # inches; at DPI, 1080 px
DPI = 100
FONT = 15
COLOURS = {
    "not_started": "#f2c94c",
    "in_progress": "#2d9cdb",
    "completed": "#27ae60",
    "delayed": "#eb5757",
    "cancelled": "#4f4f4f",
    NO_ANSWER: "#b8b8b8",
    PLANNED: "#dbe7f3",
    INACTIVE: "#f4f4f4",
}
LINE_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf", "#393b79", "#ad494a"]


@dataclass(frozen=True)
class Chart:
    name: str  # file-safe: "durum", "takvim", "gosterge_G01", "katilim"
    title: str
    png: bytes


def _say(macro: str, **params: object) -> str:
    return texts.say(WORDS, macro, **params)


def _figure(height: float) -> Figure:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    # A lighter zlib level: a third faster to encode, a few kilobytes larger.
    figure.savefig(out, format="png", dpi=DPI, facecolor="white",
                   metadata={"Software": None}, pil_kwargs={"compress_level": 3})
    figure.clear()
    return out.getvalue()


def _shorten(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def _axis_number(value: float, _position: object = None) -> str:
    if abs(value) >= 1_000_000:
        return format_compact_decimal(value, locale=LOCALE, fraction_digits=1)
    return number(round(value, 2))


# ------------------------------------------------------------------------------- charts


def _status_chart(report: Report) -> Chart | None:
    counted = [s for s in report.statuses if s.state != INACTIVE]
    rows = [(p, [s for s in counted if s.action.priority_code == p.code])
            for p in report.priorities]
    rows = [(p, mine) for p, mine in rows if mine]
    if not rows:
        return None
    title = _say("chart_title", name="durum", title="")
    height = 3.4 + 1.2 * len(rows)
    figure = _figure(height)
    ax = figure.add_axes((0.25, 1.9 / height, 0.71, 1 - 3.1 / height))
    labels = [p.code + "\n" + "\n".join(textwrap.wrap(p.title, 24, max_lines=2,
                                                        placeholder="…"))
              for p, _ in rows]
    positions = list(range(len(rows)))[::-1]
    left = [0] * len(rows)
    for state in COUNTED:
        values = [sum(1 for s in mine if s.state == state) for _, mine in rows]
        if not any(values):
            continue
        bars = ax.barh(positions, values, left=left, color=COLOURS[state], edgecolor="white",
                       height=0.7, label=_say("state", key=state))
        for bar, value in zip(bars, values, strict=True):
            if value:
                dark = state in ("in_progress", "delayed", "cancelled", "completed")
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2,
                        str(value), ha="center", va="center", fontsize=FONT,
                        color="white" if dark else "black", fontweight="bold")
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(positions, labels, fontsize=FONT - 2)
    ax.set_xlabel(_say("axis", key="actions"), fontsize=FONT)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="x", labelsize=FONT - 2)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_xlim(0, max(left) * 1.02 or 1)
    figure.suptitle(f"{title}\n{report.title}", fontsize=FONT + 3, fontweight="bold", y=0.98)
    figure.legend(loc="lower center", ncol=3, fontsize=FONT - 2, frameon=False,
                  bbox_to_anchor=(0.5, 0.0))
    return Chart("durum", title, _png(figure))


def _gantt_chart(report: Report) -> Chart | None:
    actions = list(report.actions)
    if not actions:
        return None
    title = _say("chart_title", name="takvim", title="")
    quarters = report.plan.quarters
    column = {q: i for i, q in enumerate(quarters)}
    end = report.period_end
    cells = []
    for a in actions:
        scheduled = set(a.quarters)
        row = []
        for q in quarters:
            found = report.timeline.get((a.id, q))
            if found is not None and q <= end:
                row.append(COLOURS[found])
            elif q in scheduled:
                row.append(COLOURS[NO_ANSWER if q <= end else PLANNED])
            else:
                row.append(COLOURS[INACTIVE])
        cells.append(row)
    rgb = [[matplotlib.colors.to_rgb(c) for c in row] for row in cells]
    rows = len(actions)
    height = 3.0 + 0.36 * rows
    figure = _figure(height)
    bottom = 1.5 / height
    top = 1 - 1.1 / height
    ax = figure.add_axes((0.13, bottom, 0.84, top - bottom))
    ax.imshow(rgb, aspect="auto", interpolation="nearest")
    ax.set_yticks(range(rows), [a.code for a in actions], fontsize=FONT - 3)
    years = sorted({q.year for q in quarters})
    centres = [sum(column[q] for q in quarters if q.year == y)
               / sum(1 for q in quarters if q.year == y) for y in years]
    ax.set_xticks(centres, [str(y) for y in years], fontsize=FONT - 2)
    # Cell borders and year separators as two line collections (minor ticks cost far more).
    ax.vlines([i - 0.5 for i in range(len(quarters) + 1)], -0.5, rows - 0.5, color="white",
              linewidth=1.2)
    ax.hlines([i - 0.5 for i in range(rows + 1)], -0.5, len(quarters) - 0.5, color="white",
              linewidth=1.2)
    ax.vlines([column[q] - 0.5 for q in quarters if q.q == 1 and column[q]], -0.5, rows - 0.5,
              color="#555555", linewidth=1.2)
    ax.set_xlim(-0.5, len(quarters) - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.tick_params(length=0)
    first = column.get(report.period_start)
    last = column.get(end)
    if first is not None and last is not None:
        ax.add_patch(Rectangle((first - 0.5, -0.5), last - first + 1, rows, fill=False,
                               edgecolor="black", linewidth=3, clip_on=False, zorder=5))
    for spine in ax.spines.values():
        spine.set_visible(False)
    figure.suptitle(f"{title}\n{report.title}", fontsize=FONT + 2, fontweight="bold",
                    y=1 - 0.15 / height)
    keys = [*STATUSES, NO_ANSWER, PLANNED, INACTIVE]
    handles = [Patch(facecolor=COLOURS[k], edgecolor="#999999", label=_say("state", key=k))
               for k in keys]
    handles.append(Patch(facecolor="white", edgecolor="black", linewidth=2.5,
                         label=_say("axis", key="period")))
    figure.legend(handles=handles, loc="lower center", ncol=3, fontsize=FONT - 3,
                  frameon=False, bbox_to_anchor=(0.5, 0.0))
    return Chart("takvim", title, _png(figure))


def _trend_chart(report: Report, code: str, series: list[TrendSeries]) -> Chart:
    head = series[0]
    unit = f" ({head.unit})" if head.unit else ""
    title = _say("chart_title", name=f"gosterge_{code}", title=f"{code} · {head.indicator_title}")
    quarters = sorted({q for s in series for q, _ in s.points})
    index = {q: i for i, q in enumerate(quarters)}
    lines = len(series)
    legend_rows = (lines + 1) // 2
    height = 6.0 + 0.3 * legend_rows
    figure = _figure(height)
    bottom = (0.8 + 0.3 * legend_rows) / height
    ax = figure.add_axes((0.14, bottom, 0.82, 1 - bottom - 1.2 / height))
    for i, s in enumerate(series):
        xs = [index[q] for q, _ in s.points]
        ys = [v for _, v in s.points]
        ax.plot(xs, ys, marker="o", markersize=4, linewidth=2.2,
                color=LINE_COLOURS[i % len(LINE_COLOURS)], label=_shorten(s.subject, 38))
    ticks = [i for i, q in enumerate(quarters) if q.q == 1] or [0]
    ax.set_xticks(ticks, [str(quarters[i].year) for i in ticks], fontsize=FONT - 2)
    ax.yaxis.set_major_formatter(FuncFormatter(_axis_number))
    ax.tick_params(axis="y", labelsize=FONT - 2)
    ax.grid(axis="y", color="#dddddd")
    ax.spines[["top", "right"]].set_visible(False)
    if report.period_start in index and report.period_end in index:
        ax.axvspan(index[report.period_start] - 0.4, index[report.period_end] + 0.4,
                   color="#fff3c4", zorder=0)
    figure.suptitle(f"{_shorten(title, 60)}{unit}\n{report.title}", fontsize=FONT + 1,
                    fontweight="bold", y=1 - 0.12 / height)
    figure.legend(loc="lower center", ncol=2, fontsize=FONT - 4, frameon=False,
                  bbox_to_anchor=(0.5, 0.0))
    return Chart(f"gosterge_{code}", title, _png(figure))


def _turnout_chart(report: Report) -> Chart | None:
    turnout = [t for t in report.turnout if t.asked]
    if not turnout:
        return None
    title = _say("chart_title", name="katilim", title="")
    figure = _figure(6.6)
    ax = figure.add_axes((0.1, 0.17, 0.86, 0.68))
    xs = list(range(len(turnout)))
    ax.bar(xs, [t.asked for t in turnout], color=COLOURS[NO_ANSWER], width=0.8,
           label=_say("axis", key="asked"))
    ax.bar(xs, [t.complete for t in turnout], color=COLOURS["completed"], width=0.8,
           label=_say("axis", key="complete"))
    ax.bar(xs, [t.partial for t in turnout], bottom=[t.complete for t in turnout],
           color=COLOURS["not_started"], width=0.8, label=_say("axis", key="partial"))
    ticks = [i for i, t in enumerate(turnout) if t.quarter.q == 1 or i == 0]
    ax.set_xticks(ticks, [str(turnout[i].quarter.year) for i in ticks], fontsize=FONT - 2)
    ax.set_ylabel(_say("axis", key="organisations"), fontsize=FONT)
    ax.set_ylim(0, max(t.asked for t in turnout) * 1.08)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.tick_params(axis="y", labelsize=FONT - 2)
    ax.spines[["top", "right"]].set_visible(False)
    period = [i for i, t in enumerate(turnout) if t.quarter in report.quarters]
    if period:
        ax.axvspan(period[0] - 0.5, period[-1] + 0.5, color="#fff3c4", zorder=0)
    figure.suptitle(f"{title}\n{report.title}", fontsize=FONT + 2, fontweight="bold", y=0.98)
    figure.legend(loc="lower center", ncol=3, fontsize=FONT - 2, frameon=False,
                  bbox_to_anchor=(0.5, 0.0))
    return Chart("katilim", title, _png(figure))


def _trend_charts(report: Report) -> list[Chart]:
    drawn = []
    for code in report.main_indicators:
        series = [s for s in report.trends if s.indicator_code == code and s.points]
        if series:
            drawn.append(_trend_chart(report, code, series))
    return drawn


def charts(report: Report) -> list[Chart]:
    """The charts of the report's topic, in the order they are sent."""
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": FONT}):
        if report.topic == "gosterge":
            found: list[Chart | None] = [*_trend_charts(report)]
        elif report.topic == "kume":
            found = [_status_chart(report), *_trend_charts(report)]
        elif report.topic == "katilim":
            found = [_turnout_chart(report)]
        else:
            found = [_status_chart(report), _gantt_chart(report)]
    return [chart for chart in found if chart is not None]


def warm_up() -> None:
    """Draw a small chart once, with a Turkish label: matplotlib finds its font and fills its
    caches on the first drawing (a worker calls this at start, bot/rendering.py)."""
    with matplotlib.rc_context({"font.family": "DejaVu Sans", "font.size": FONT}):
        figure = _figure(1.0)
        axes = figure.subplots()
        axes.barh(["Çğüşöı"], [1.0])
        axes.set_title("Çeyrek")
        _png(figure)


__all__ = ["Chart", "charts"]
