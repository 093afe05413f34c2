"""/gosterge: a quarter's indicator figures for one cluster, one question at a time.

Steps: "pick" (agency only: which cluster; the same dialog then becomes the cluster's),
"figure" (the question at Draft.index), "odd" (a figure far from last period's: confirm or
retype), "summary" (confirm, correct or keep as a draft) and "edit" (which figure to correct).
Everything answered so far is a Draft in Dialog.data, figures as exact decimal text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import Field
from sqlmodel import Session, col, select

from tracker.calendar import is_locked, reporting_quarter
from tracker.dialogs import service
from tracker.dialogs.base import (
    Choice,
    Context,
    DecimalText,
    DialogData,
    Goto,
    Here,
    Input,
    Prompt,
    QuarterText,
    Question,
    Reading,
    Refusal,
    Step,
    StepEngine,
    Turn,
    button,
    pressed,
    refusal_of,
    refuse,
    typed,
)
from tracker.formatting import number
from tracker.indicator_figures import (
    FigureError,
    FigureScope,
    check_figure,
    check_value,
    current_entries,
    figure_scope,
    implausibility,
    indicators_for,
    previous_entries,
    record_figures,
)
from tracker.models import Cluster, Dialog, Indicator, IndicatorValue
from tracker.proposals import Proposal, propose
from tracker.quarters import Quarter
from tracker.turkish import shorten

PICK = "pick"
SUMMARY_TITLE_MAX = 60


def _subject(cluster: Cluster, period: Quarter) -> str:
    return f"{cluster.code}@{period}"


# -- the data ------------------------------------------------------------------------------------


class Pick(DialogData):
    """The agency choosing a cluster: the period being entered."""

    period: QuarterText


class Draft(DialogData):
    """One cluster's figures for one period, indicators by id."""

    period: QuarterText
    cluster_id: int
    level: int
    ids: list[int]  # the indicators asked, in order
    # The latest figure before this period, and its period.
    previous: dict[int, tuple[DecimalText, QuarterText]] = Field(default_factory=dict)
    current: dict[int, DecimalText] = Field(default_factory=dict)  # stored for this period
    answers: dict[int, DecimalText | None] = Field(default_factory=dict)  # None: skipped
    index: int = 0  # the question at hand, among the indicators still in the plan
    editing: bool = False  # correcting one figure: back to the summary after it
    pending: DecimalText | None = None  # at "odd": the figure asked about


@dataclass(frozen=True)
class Sheet:
    """A Draft with its cluster and indicators read from the database."""

    draft: Draft
    cluster: Cluster
    indicators: list[Indicator]

    @classmethod
    def of(cls, here: Here[Draft]) -> Sheet:
        draft, session = here.data, here.session
        cluster = session.get(Cluster, draft.cluster_id)
        assert cluster is not None, "a figures dialog always has its cluster"
        found = session.exec(select(Indicator).where(col(Indicator.id).in_(draft.ids))).all()
        by_id = {i.id: i for i in found}
        return cls(draft, cluster, [by_id[i] for i in draft.ids if i in by_id])

    @property
    def index(self) -> int:
        return min(self.draft.index, max(len(self.indicators) - 1, 0))

    @property
    def indicator(self) -> Indicator:
        return self.indicators[self.index]

    def key(self, indicator: Indicator | None = None) -> int:
        found = (indicator or self.indicator).id
        assert found is not None
        return found

    def previous(self) -> tuple[Decimal, Quarter] | None:
        return self.draft.previous.get(self.key())

    def previous_value(self) -> Decimal | None:
        previous = self.previous()
        return previous[0] if previous else None

    def mark(self, indicator: Indicator) -> str:
        key = self.key(indicator)
        if key not in self.draft.answers:
            return "open"
        return "skipped" if self.draft.answers[key] is None else "set"

    def answered(self, figure: Decimal | None) -> dict[int, Decimal | None]:
        """The answers with `figure` for the question at hand (None: skipped)."""
        return {**self.draft.answers, self.key(): figure}

    def next_index(self, answers: dict[int, Decimal | None]) -> int | None:
        """The next unanswered question after this one, else the first; None: all answered."""
        open_ = [n for n, i in enumerate(self.indicators) if self.key(i) not in answers]
        candidates = [n for n in open_ if n > self.index] or open_
        return candidates[0] if candidates else None

    def goto(self, step: str, error: str | None = None, **changes: Any) -> Goto[Draft]:
        """Move to `step`; a figure asked about is kept only at "odd"."""
        update = {"index": self.index, "pending": None, **changes}
        return Goto(step, self.draft.model_copy(update=update), error)

    def common(self) -> dict[str, Any]:
        total = len(self.indicators)
        return {"cluster": self.cluster, "quarter": self.draft.period, "total": total}

    def question(self) -> dict[str, Any]:
        """What the figure and odd questions show about the indicator at hand."""
        previous = self.previous()
        older = previous is not None and previous[1] != self.draft.period.previous()
        return {
            **self.common(),
            "indicator": self.indicator,
            "position": self.index + 1,
            "previous": previous[0] if previous else None,
            "previous_period": previous[1] if previous and older else None,
            "stored": self.draft.current.get(self.key()),
            "answer": self.draft.answers.get(self.key()),
            "mark": self.mark(self.indicator),
            "editing": self.draft.editing,
        }

    def summary(self) -> dict[str, Any]:
        rows = [
            {
                "indicator": indicator,
                "title": shorten(indicator.title, SUMMARY_TITLE_MAX),
                "mark": self.mark(indicator),
                "value": self.draft.answers.get(self.key(indicator)),
                "stored": self.draft.current.get(self.key(indicator)),
            }
            for indicator in self.indicators
        ]
        entered = sum(1 for r in rows if r["mark"] == "set")
        return {**self.common(), "rows": rows, "entered": entered, "skipped": len(rows) - entered}


# -- the engine ----------------------------------------------------------------------------------


class FiguresDialog(StepEngine):
    kind = "figures"
    template = "messages/figures.j2"

    def __init__(self) -> None:
        self.steps = {
            PICK: Step(Pick, self.ask_pick, self.read_pick),
            "figure": Step(Draft, self.ask_figure, self.read_figure),
            "odd": Step(Draft, self.ask_odd, self.read_odd),
            "summary": Step(Draft, self.ask_summary, self.read_summary),
            "edit": Step(Draft, self.ask_edit, self.read_edit),
        }

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        """The agency chooses a cluster first; a cluster's reporter starts at once."""
        period = reporting_quarter(ctx.now, ctx.settings.calendar)
        if period is None:
            return Turn(None, self.say("no_open_quarter", current=Quarter.of(ctx.now)))
        scope = figure_scope(session, ctx.person)  # FiguresForbidden for everyone else
        if not indicators_for(session, scope.level, period) or not scope.clusters:
            return Turn(None, self.say("nothing_to_enter", quarter=period, level=scope.level))
        if len(scope.clusters) == 1:
            cluster = scope.clusters[0]
            draft = _fresh(session, scope, cluster, period)
            return self.open(session, ctx, _subject(cluster, period), "figure", draft)
        return self.open(session, ctx, f"pick@{period}", PICK, Pick(period=period))

    # A draft whose indicators all left the plan since (a new plan was imported) can only be
    # left: it says so at every step.

    def prompt(
        self, session: Session, dialog: Dialog, ctx: Context, error: str | None = None
    ) -> Prompt:
        if dialog.step == PICK or _has_indicators(session, dialog):
            return super().prompt(session, dialog, ctx, error)
        sheet = Sheet.of(Here(session, ctx, dialog, Draft.load(dialog)))
        return self.say("no_indicators", error=error, **sheet.common())

    def handle(self, session: Session, dialog: Dialog, ctx: Context, value: Input) -> Turn:
        if dialog.step == PICK or _has_indicators(session, dialog):
            return super().handle(session, dialog, ctx, value)
        return Turn(dialog, self.prompt(session, dialog, ctx, refuse("use_buttons").reason))

    # -- pick ------------------------------------------------------------------------------------

    def ask_pick(self, here: Here[Pick]) -> Question:
        session, period = here.session, here.data.period
        scope = figure_scope(session, here.ctx.person)
        drafts = service.subjects(session, here.ctx.person, self.kind)
        indicator_ids = [i.id for i in indicators_for(session, scope.level, period)]
        entered = set(
            session.exec(
                select(IndicatorValue.cluster_id).where(
                    IndicatorValue.period == str(period),
                    col(IndicatorValue.indicator_id).in_(indicator_ids),
                )
            ).all()
        )

        def mark(cluster: Cluster) -> str:
            if _subject(cluster, period) in drafts:
                return "draft"
            return "done" if cluster.id in entered else "open"

        rows = [
            [Choice(f"c{c.id}", button("cluster_pick", name=c.name, mark=mark(c)))]
            for c in scope.clusters
        ]
        return Question({"quarter": period, "count": len(indicator_ids)}, rows)

    def read_pick(self, here: Here[Pick], value: Input) -> Reading[Pick]:
        scope = figure_scope(here.session, here.ctx.person)
        chosen = next((c for c in scope.clusters if pressed(value) == f"c{c.id}"), None)
        if chosen is None:
            return refuse("choose_cluster")
        return self._become(here, scope, chosen)

    def _become(self, here: Here[Pick], scope: FigureScope, cluster: Cluster) -> Turn:
        """The pick dialog carries on as the cluster's, so the buttons of the next question
        point at it; a draft for the cluster hands its answers over and goes."""
        session, ctx, dialog, period = here.session, here.ctx, here.dialog, here.data.period
        draft = service.find_dialog(session, ctx.person, self.kind, _subject(cluster, period))
        if draft is not None:
            step, data = draft.step, dict(draft.data)
            service.close(session, draft)
        else:
            step, data = "figure", _fresh(session, scope, cluster, period).to_json()
        dialog.subject = _subject(cluster, period)
        service.advance(session, dialog, step, data, ctx.now)
        return self.first_question(session, dialog, ctx, resumed=draft is not None)

    # -- the questions ---------------------------------------------------------------------------

    def ask_figure(self, here: Here[Draft]) -> Question:
        sheet = Sheet.of(here)
        first_row = [Choice("skip", button("skip"))]
        previous = sheet.previous_value()
        if previous is not None:
            first_row.append(Choice("same", button("keep_value", value=number(previous))))
        choices = [first_row]
        # What kume knows itself (member counts): offered with its origin, never filled in.
        proposal = _proposal(sheet, here.session)
        if proposal is not None:
            choices.insert(0, [Choice("prop", button("use_proposal"))])
        if sheet.draft.editing:
            choices.append([Choice("back", button("back_to_summary"))])
        elif sheet.index > 0:
            choices.append([Choice("prev", button("back"))])
        return Question({**sheet.question(), "proposal": proposal}, choices)

    def read_figure(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        sheet, key = Sheet.of(here), pressed(value)
        if key == "skip":
            return _move_on(sheet, sheet.answered(None))
        previous = sheet.previous_value()
        if key == "same" and previous is not None:
            return _same_as_before(sheet, previous)
        proposal = _proposal(sheet, here.session) if key == "prop" else None
        if proposal is not None:
            return _checked(sheet, proposal.value)
        if key == "prev" and sheet.index > 0 and not sheet.draft.editing:
            return sheet.goto("figure", index=sheet.index - 1)
        if key == "back" and sheet.draft.editing:
            return sheet.goto("summary", editing=False)
        text = typed(value)
        if text:
            return _typed_figure(sheet, text)
        return refuse("type_figure")

    def ask_odd(self, here: Here[Draft]) -> Question:
        sheet = Sheet.of(here)
        pending, previous = here.data.pending, sheet.previous_value()
        assert pending is not None, "a dialog at 'odd' holds the figure asked about"
        direction = implausibility(pending, previous, sheet.indicator.value_type)
        choices = [[Choice("yes", button("yes_correct")), Choice("no", button("retype"))]]
        return Question({**sheet.question(), "value": pending, "direction": direction}, choices)

    def read_odd(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        sheet, key, text = Sheet.of(here), pressed(value), typed(value)
        if key == "yes":
            return _move_on(sheet, sheet.answered(here.data.pending))
        if key == "no":
            return sheet.goto("figure")
        if text:
            # Another figure typed instead of an answer: read as at the question, which is
            # where a refused one leaves the person.
            reading = _typed_figure(sheet, text)
            if isinstance(reading, Refusal):
                return sheet.goto("figure", error=reading.reason)
            return reading
        return refuse("use_buttons")

    def ask_summary(self, here: Here[Draft]) -> Question:
        choices = [
            [Choice("ok", button("confirm")), Choice("edit", button("edit"))],
            [Choice("later", button("save_draft"))],
        ]
        return Question(Sheet.of(here).summary(), choices)

    def read_summary(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        sheet, key = Sheet.of(here), pressed(value)
        if key == "ok":
            return self._save(here, sheet)
        if key == "edit":
            return sheet.goto("edit")
        if key == "later":
            service.suspend_active(here.session, here.ctx.person, here.ctx.now)
            return Turn(None, self.say("kept_as_draft", **sheet.common()))
        return refuse("use_buttons")

    def ask_edit(self, here: Here[Draft]) -> Question:
        params = Sheet.of(here).summary()
        choices = [
            [Choice(f"e{n}", button("indicator", code=r["indicator"].code, title=r["title"],
                                    mark=r["mark"]))]
            for n, r in enumerate(params["rows"])
        ]
        choices.append([Choice("back", button("back_to_summary"))])
        return Question(params, choices)

    def read_edit(self, here: Here[Draft], value: Input) -> Reading[Draft]:
        sheet, key = Sheet.of(here), pressed(value) or ""
        if key == "back":
            return sheet.goto("summary")
        chosen = key[1:] if key.startswith("e") else ""
        if not chosen.isdigit() or int(chosen) >= len(sheet.indicators):
            return refuse("use_buttons")
        return sheet.goto("figure", index=int(chosen), editing=True)

    # -- the end ---------------------------------------------------------------------------------

    def _save(self, here: Here[Draft], sheet: Sheet) -> Turn | Refusal:
        session, ctx, draft = here.session, here.ctx, here.data
        if is_locked(draft.period, ctx.now, ctx.settings.calendar):
            service.suspend_active(session, ctx.person, ctx.now)
            return Turn(None, self.say("locked", **sheet.common()))
        answers = {sheet.key(i): draft.answers.get(sheet.key(i)) for i in sheet.indicators}
        values = {key: figure for key, figure in answers.items() if figure is not None}
        if not values:
            return refuse("nothing_entered")
        rows = record_figures(
            session,
            ctx.person,
            sheet.cluster,
            draft.period,
            values,
            ctx.now,
            source_key=service.source_key(here.dialog),
        )
        service.close(session, here.dialog)
        saved = self.say(
            "saved",
            saved=len(rows),
            skipped=len(sheet.indicators) - len(rows),
            corrected=sum(1 for r in rows if r.version > 1),
            **sheet.common(),
        )
        return Turn(None, saved)


def _fresh(session: Session, scope: FigureScope, cluster: Cluster, period: Quarter) -> Draft:
    """A new draft: the indicators to ask, last period's and this period's stored figures."""
    indicators = indicators_for(session, scope.level, period)
    previous = previous_entries(session, indicators, cluster, period)
    current = current_entries(session, indicators, cluster, period)
    assert cluster.id is not None
    return Draft(
        period=period,
        cluster_id=cluster.id,
        level=scope.level,
        ids=[i.id for i in indicators if i.id is not None],
        previous={i: (row.value, Quarter.parse(row.period)) for i, row in previous.items()},
        current={i: row.value for i, row in current.items()},
    )


def _has_indicators(session: Session, dialog: Dialog) -> bool:
    ids = Draft.load(dialog).ids
    return bool(ids) and session.exec(
        select(Indicator.id).where(col(Indicator.id).in_(ids))
    ).first() is not None


def _same_as_before(sheet: Sheet, previous: Decimal) -> Reading[Draft]:
    return _checked(sheet, previous)


def _checked(sheet: Sheet, figure: Decimal) -> Reading[Draft]:
    """A figure given by a button (last period's, kume's proposal): still in range?"""
    try:  # the indicator's range may have changed since
        check_value(sheet.indicator, figure)
    except FigureError as error:
        return refusal_of(error)
    return _move_on(sheet, sheet.answered(figure))


def _proposal(sheet: Sheet, session: Session) -> Proposal | None:
    return propose(session, sheet.indicator.code, sheet.cluster, sheet.draft.period)


def _typed_figure(sheet: Sheet, text: str) -> Reading[Draft]:
    """A figure typed for the question at hand: taken, or asked about when far from the last."""
    previous = sheet.previous_value()
    try:
        figure = check_figure(sheet.indicator, text, previous)
    except FigureError as error:
        return refusal_of(error)
    if implausibility(figure, previous, sheet.indicator.value_type) is not None:
        return sheet.goto("odd", pending=figure)
    return _move_on(sheet, sheet.answered(figure))


def _move_on(sheet: Sheet, answers: dict[int, Decimal | None]) -> Goto[Draft]:
    """After an answer: the next open question; when correcting one, back to the summary."""
    following = None if sheet.draft.editing else sheet.next_index(answers)
    if following is None:
        return sheet.goto("summary", answers=answers, editing=False)
    return sheet.goto("figure", answers=answers, index=following, editing=False)
