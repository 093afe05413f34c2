"""/gosterge: a quarter's indicator figures for one cluster, one question at a time.

Steps: "pick" (agency only: which cluster), "figure" (the question at data["index"]), "odd" (a
figure far from last period's: confirm or retype), "summary" (confirm, correct or keep as a
draft) and "edit" (which figure to correct). Everything answered so far lives in Dialog.data,
figures as canonical decimal strings, so a draft or a restart resumes at the same question.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from tracker import texts
from tracker.calendar import is_locked, reporting_quarter
from tracker.dialogs import service
from tracker.dialogs.base import Choice, ChoiceInput, Context, Input, Prompt, TextInput, button
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
from tracker.quarters import Quarter
from tracker.turkish import shorten

KIND = "figures"
T = "messages/figures.j2"
SUMMARY_TITLE_MAX = 60


def _prompt(name: str, choices: list[list[Choice]] | None = None, **params: Any) -> Prompt:
    return Prompt(T, {"name": name, **params}, choices or [])


def _finished(name: str, **params: Any) -> Prompt:
    return Prompt(T, {"name": name, **params}, [], finished=True)


def _error(name: str, **params: Any) -> str:
    return texts.say("texts/dialog_errors.j2", name, **params)


def _text(value: Decimal) -> str:
    """A figure as JSON-safe text that reads back exactly: "1200000", "12.5"."""
    return format(value.normalize(), "f")


def _subject(cluster: Cluster, period: Quarter) -> str:
    return f"{cluster.code}@{period}"


def start(session: Session, ctx: Context) -> tuple[Dialog | None, Prompt]:
    """Begin /gosterge: the agency chooses a cluster first; a cluster's reporter starts at once."""
    period = reporting_quarter(ctx.now, ctx.settings.calendar)
    if period is None:
        return None, _finished("no_open_quarter", current=Quarter.of(ctx.now))
    scope = figure_scope(session, ctx.person)  # FiguresForbidden for everyone else
    if not indicators_for(session, scope.level, period) or not scope.clusters:
        return None, _finished("nothing_to_enter", quarter=period, level=scope.level)
    if len(scope.clusters) == 1:
        return _open_cluster(session, ctx, scope, scope.clusters[0], period)
    dialog = service.open_dialog(
        session, ctx.person, KIND, f"pick@{period}", "pick", {"period": str(period)}, ctx.now
    )
    return dialog, _pick_prompt(session, ctx, scope, period)


def _pick_prompt(
    session: Session, ctx: Context, scope: FigureScope, period: Quarter, error: str | None = None
) -> Prompt:
    drafts = {
        d.subject
        for d in session.exec(
            select(Dialog).where(Dialog.person_id == ctx.person.id, Dialog.kind == KIND)
        )
    }
    indicator_ids = [i.id for i in indicators_for(session, scope.level, period)]
    entered = set(
        session.exec(
            select(IndicatorValue.cluster_id).where(
                IndicatorValue.period == str(period),
                col(IndicatorValue.indicator_id).in_(indicator_ids),
            )
        ).all()
    )
    rows = []
    for cluster in scope.clusters:
        mark = (
            "draft"
            if _subject(cluster, period) in drafts
            else "done"
            if cluster.id in entered
            else "open"
        )
        label = button("cluster_pick", name=cluster.name, mark=mark)
        rows.append([Choice(f"c{cluster.id}", label)])
    return _prompt("pick", rows, quarter=period, count=len(indicator_ids), error=error)


def _fresh_data(
    session: Session, scope: FigureScope, cluster: Cluster, period: Quarter
) -> dict[str, Any]:
    indicators = indicators_for(session, scope.level, period)
    previous = previous_entries(session, indicators, cluster, period)
    current = current_entries(session, indicators, cluster, period)
    return {
        "period": str(period),
        "cluster_id": cluster.id,
        "level": scope.level,
        "ids": [i.id for i in indicators],
        "previous": {str(i): [_text(row.value), row.period] for i, row in previous.items()},
        "current": {str(i): _text(row.value) for i, row in current.items()},
        "answers": {},
        "index": 0,
    }


def _open_cluster(
    session: Session,
    ctx: Context,
    scope: FigureScope,
    cluster: Cluster,
    period: Quarter,
    reuse: Dialog | None = None,
) -> tuple[Dialog, Prompt]:
    """Open (or resume) the cluster's dialog; `reuse` turns the pick dialog into it."""
    subject = _subject(cluster, period)
    draft = service.find_dialog(session, ctx.person, KIND, subject)
    if reuse is None:
        data = _fresh_data(session, scope, cluster, period)
        dialog = service.open_dialog(session, ctx.person, KIND, subject, "figure", data, ctx.now)
    else:
        # The same row carries on, so the buttons of the next question point at it.
        dialog = reuse
        if draft is not None:
            step, data = draft.step, dict(draft.data)
            service.close(session, draft)
        else:
            step, data = "figure", _fresh_data(session, scope, cluster, period)
        dialog.subject = subject
        service.advance(session, dialog, step, data, ctx.now)
    first = prompt(session, dialog, ctx)
    first.params["resumed"] = draft is not None
    return dialog, first


def _handle_pick(session: Session, dialog: Dialog, ctx: Context, value: Input) -> Prompt:
    period = Quarter.parse(dialog.data["period"])
    scope = figure_scope(session, ctx.person)
    key = value.key if isinstance(value, ChoiceInput) else None
    chosen = next((c for c in scope.clusters if key == f"c{c.id}"), None)
    if chosen is None:
        return _pick_prompt(session, ctx, scope, period, _error("choose_cluster"))
    _, next_prompt = _open_cluster(session, ctx, scope, chosen, period, reuse=dialog)
    return next_prompt


class _State:
    """Dialog.data read back: the indicators, previous and stored figures, the answers."""

    def __init__(self, session: Session, dialog: Dialog):
        data = dialog.data
        self.data = dict(data)
        self.period = Quarter.parse(data["period"])
        cluster = session.get(Cluster, data["cluster_id"])
        assert cluster is not None, "a figures dialog always has its cluster"
        self.cluster = cluster
        ids = list(data["ids"])
        found = session.exec(select(Indicator).where(col(Indicator.id).in_(ids))).all()
        by_id = {i.id: i for i in found}
        self.indicators: list[Indicator] = [by_id[i] for i in ids if i in by_id]
        self.answers: dict[str, str | None] = dict(data.get("answers", {}))
        self.index = min(int(data.get("index", 0)), max(len(self.indicators) - 1, 0))
        self.editing = bool(data.get("editing", False))

    @property
    def indicator(self) -> Indicator:
        return self.indicators[self.index]

    def key(self, indicator: Indicator | None = None) -> str:
        return str((indicator or self.indicator).id)

    def previous(self, indicator: Indicator | None = None) -> tuple[Decimal, Quarter] | None:
        entry = self.data.get("previous", {}).get(self.key(indicator))
        return (Decimal(entry[0]), Quarter.parse(entry[1])) if entry else None

    def previous_value(self, indicator: Indicator | None = None) -> Decimal | None:
        previous = self.previous(indicator)
        return previous[0] if previous else None

    def stored(self, indicator: Indicator | None = None) -> Decimal | None:
        text = self.data.get("current", {}).get(self.key(indicator))
        return Decimal(text) if text is not None else None

    def answer(self, indicator: Indicator | None = None) -> Decimal | None:
        text = self.answers.get(self.key(indicator))
        return Decimal(text) if text is not None else None

    def mark(self, indicator: Indicator) -> str:
        key = self.key(indicator)
        if key not in self.answers:
            return "open"
        return "skipped" if self.answers[key] is None else "set"

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "indicator": indicator,
                "title": shorten(indicator.title, SUMMARY_TITLE_MAX),
                "mark": self.mark(indicator),
                "value": self.answer(indicator),
                "stored": self.stored(indicator),
            }
            for indicator in self.indicators
        ]

    def next_index(self) -> int | None:
        """The next unanswered question after this one, else the first; None: all answered."""
        open_ = [n for n, i in enumerate(self.indicators) if self.key(i) not in self.answers]
        later = [n for n in open_ if n > self.index]
        return (later or open_ or [None])[0]

    def save(self, session: Session, dialog: Dialog, step: str, ctx: Context) -> None:
        self.data.update(answers=self.answers, index=self.index, editing=self.editing)
        if step != "odd":
            self.data.pop("pending", None)
        service.advance(session, dialog, step, self.data, ctx.now)


def _common(state: _State) -> dict[str, Any]:
    return {"cluster": state.cluster, "quarter": state.period, "total": len(state.indicators)}


def prompt(session: Session, dialog: Dialog, ctx: Context, error: str | None = None) -> Prompt:
    """The question the dialog is at, with its choices (and an explanation after bad input)."""
    if dialog.step == "pick":
        period = Quarter.parse(dialog.data["period"])
        return _pick_prompt(session, ctx, figure_scope(session, ctx.person), period, error)
    state = _State(session, dialog)
    step = dialog.step
    params = _common(state)
    if not state.indicators:
        return _prompt("no_indicators", error=error, **params)
    if step in ("figure", "odd"):
        indicator = state.indicator
        previous = state.previous()
        previous_value = previous[0] if previous else None
        older = previous is not None and previous[1] != state.period.previous()
        params.update(
            indicator=indicator,
            position=state.index + 1,
            previous=previous_value,
            previous_period=previous[1] if older and previous else None,
            stored=state.stored(),
            answer=state.answer(),
            mark=state.mark(indicator),
            editing=state.editing,
        )
        if step == "odd":
            pending = Decimal(state.data["pending"])
            params.update(
                value=pending,
                direction=implausibility(pending, previous_value, indicator.value_type),
            )
            choices = [[Choice("yes", button("yes_correct")), Choice("no", button("retype"))]]
            return _prompt("odd", choices, error=error, **params)
        first_row = [Choice("skip", button("skip"))]
        if previous_value is not None:
            first_row.append(Choice("same", button("keep_value", value=number(previous_value))))
        choices = [first_row]
        if state.editing:
            choices.append([Choice("back", button("back_to_summary"))])
        elif state.index > 0:
            choices.append([Choice("prev", button("back"))])
        return _prompt("figure", choices, error=error, **params)
    rows = state.rows()
    params.update(
        rows=rows,
        entered=sum(1 for r in rows if r["mark"] == "set"),
        skipped=sum(1 for r in rows if r["mark"] != "set"),
    )
    if step == "edit":
        choices = [
            [
                Choice(
                    f"e{n}",
                    button(
                        "indicator", code=r["indicator"].code, title=r["title"], mark=r["mark"]
                    ),
                )
            ]
            for n, r in enumerate(rows)
        ]
        choices.append([Choice("back", button("back_to_summary"))])
        return _prompt("edit", choices, error=error, **params)
    choices = [
        [Choice("ok", button("confirm")), Choice("edit", button("edit"))],
        [Choice("later", button("save_draft"))],
    ]
    return _prompt("summary", choices, error=error, **params)


def handle(session: Session, dialog: Dialog, ctx: Context, value: Input) -> Prompt:
    if dialog.step == "pick":
        return _handle_pick(session, dialog, ctx, value)
    state = _State(session, dialog)
    step = dialog.step
    pressed = value.key if isinstance(value, ChoiceInput) else None
    text = value.text.strip() if isinstance(value, TextInput) else None

    def again(error: str, **params: Any) -> Prompt:
        return prompt(session, dialog, ctx, error=_error(error, **params))

    if not state.indicators:
        return again("use_buttons")
    if step == "odd":
        if pressed == "yes":
            state.answers[state.key()] = state.data["pending"]
            return _move_on(session, dialog, ctx, state)
        if pressed == "no" or text:
            state.save(session, dialog, "figure", ctx)
            if text:
                return _typed(session, dialog, ctx, state, text)
            return prompt(session, dialog, ctx)
        return again("use_buttons")
    if step == "figure":
        if pressed == "skip":
            state.answers[state.key()] = None
            return _move_on(session, dialog, ctx, state)
        previous = state.previous_value()
        if pressed == "same" and previous is not None:
            try:  # the indicator's range may have changed since
                check_value(state.indicator, previous)
            except FigureError as error:
                return prompt(session, dialog, ctx, error=texts.describe(error))
            state.answers[state.key()] = _text(previous)
            return _move_on(session, dialog, ctx, state)
        if pressed == "prev" and state.index > 0 and not state.editing:
            state.index -= 1
            state.save(session, dialog, "figure", ctx)
            return prompt(session, dialog, ctx)
        if pressed == "back" and state.editing:
            state.editing = False
            state.save(session, dialog, "summary", ctx)
            return prompt(session, dialog, ctx)
        if text:
            return _typed(session, dialog, ctx, state, text)
        return again("type_figure")
    if step == "summary":
        if pressed == "ok":
            return _save(session, dialog, ctx, state)
        if pressed == "edit":
            state.save(session, dialog, "edit", ctx)
            return prompt(session, dialog, ctx)
        if pressed == "later":
            service.suspend_active(session, ctx.person, ctx.now)
            return _finished("kept_as_draft", **_common(state))
        return again("use_buttons")
    if step == "edit":
        if pressed == "back":
            state.save(session, dialog, "summary", ctx)
            return prompt(session, dialog, ctx)
        chosen = pressed[1:] if pressed and pressed.startswith("e") else ""
        if not chosen.isdigit() or int(chosen) >= len(state.indicators):
            return again("use_buttons")
        state.index, state.editing = int(chosen), True
        state.save(session, dialog, "figure", ctx)
        return prompt(session, dialog, ctx)
    return again("use_buttons")


def _typed(session: Session, dialog: Dialog, ctx: Context, state: _State, text: str) -> Prompt:
    """A figure typed for the current question: stored in the draft, or asked about."""
    indicator = state.indicator
    previous = state.previous_value()
    try:
        figure = check_figure(indicator, text, previous)
    except FigureError as error:
        return prompt(session, dialog, ctx, error=texts.describe(error))
    if implausibility(figure, previous, indicator.value_type) is not None:
        state.data["pending"] = _text(figure)
        state.save(session, dialog, "odd", ctx)
        return prompt(session, dialog, ctx)
    state.answers[state.key()] = _text(figure)
    return _move_on(session, dialog, ctx, state)


def _move_on(session: Session, dialog: Dialog, ctx: Context, state: _State) -> Prompt:
    """After an answer: the next open question; when correcting one, back to the summary."""
    following = None if state.editing else state.next_index()
    state.editing = False
    if following is None:
        state.save(session, dialog, "summary", ctx)
    else:
        state.index = following
        state.save(session, dialog, "figure", ctx)
    return prompt(session, dialog, ctx)


def _save(session: Session, dialog: Dialog, ctx: Context, state: _State) -> Prompt:
    params = _common(state)
    if is_locked(state.period, ctx.now, ctx.settings.calendar):
        service.suspend_active(session, ctx.person, ctx.now)
        return _finished("locked", **params)
    values = {
        indicator.id: answer
        for indicator in state.indicators
        if indicator.id is not None and (answer := state.answer(indicator)) is not None
    }
    if not values:
        return prompt(session, dialog, ctx, error=_error("nothing_entered"))
    rows = record_figures(
        session,
        ctx.person,
        state.cluster,
        state.period,
        values,
        ctx.now,
        source_key=service.source_key(dialog),
    )
    service.close(session, dialog)
    return _finished(
        "saved",
        saved=len(rows),
        skipped=len(state.indicators) - len(rows),
        corrected=sum(1 for r in rows if r.version > 1),
        **params,
    )


ENGINE_KIND = KIND
