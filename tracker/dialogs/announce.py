"""/duyuru: a notice to cluster members (and the clusters' groups and channels).

Steps: "text" (the notice, plain text, at most tracker.announcements.MAX_TEXT characters),
"audience" (clusters toggled by buttons, or every member for the agency and admins),
"preview" (the notice exactly as members will see it, with how many will get it: "Gönder",
"Düzelt", "Vazgeç") and "edit" (what to correct). Gönder writes the broadcast in the same
transaction that closes the dialog, so a second press (or an update Telegram delivers twice)
cannot queue it twice; the running sender takes it within a second (the bot also wakes it).
The rules (who may address whom, the text's bounds) live in tracker.announcements.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from tracker import texts
from tracker.access import require
from tracker.announcements import (
    MAX_TEXT,
    NoticeError,
    announce,
    audience,
    checked_text,
    may_address_everyone,
    notice_text,
)
from tracker.cluster_chats import all_clusters
from tracker.dialogs import service
from tracker.dialogs.base import (
    Choice,
    Context,
    DialogData,
    Goto,
    Here,
    Input,
    Question,
    Reading,
    Refusal,
    Step,
    StepEngine,
    Turn,
    pressed,
    refusal_of,
    typed,
)
from tracker.models import Cluster

WORDS = "texts/announcements.j2"


def label(macro: str, **params: object) -> str:
    return texts.say(WORDS, macro, **params)


def refuse(reason: str, **params: object) -> Refusal:
    return Refusal(texts.say(WORDS, reason, **params))


class Notice(DialogData):
    """What the person has said so far: stored as JSON, keep names and value forms stable."""

    text: str | None = None
    cluster_ids: list[int] = []
    everyone: bool = False
    editing: bool = False  # came from the preview: back there after the answer


class AnnounceDialog(StepEngine):
    kind = "notice"
    template = "messages/duyuru.j2"

    def __init__(self) -> None:
        self.steps = {
            "text": Step(Notice, self.ask_text, self.read_text, next=self._after_text),
            "audience": Step(Notice, self.ask_audience, self.read_audience),
            "preview": Step(Notice, self.ask_preview, self.read_preview),
            "edit": Step(Notice, self.ask_edit, self.read_edit),
        }

    def start(self, session: Session, ctx: Context, argument: str | None) -> Turn:
        return self.open(session, ctx, "notice", "text", Notice())

    # -- the text --------------------------------------------------------------------------

    def ask_text(self, here: Here[Notice]) -> Question:
        keep = [[Choice("keep", label("keep_text"))]] if here.data.editing else []
        return Question({"limit": MAX_TEXT, "editing": here.data.editing}, keep)

    def read_text(self, here: Here[Notice], value: Input) -> Reading[Notice]:
        if pressed(value) == "keep" and here.data.text:
            return Goto("preview", here.data.model_copy(update={"editing": False}))
        try:
            text = checked_text(typed(value))
        except NoticeError as error:
            return refusal_of(error)
        return here.data.model_copy(update={"text": text})

    @staticmethod
    def _after_text(data: Notice) -> str:
        return "preview" if data.editing else "audience"

    # -- the audience ----------------------------------------------------------------------

    def ask_audience(self, here: Here[Notice]) -> Question:
        chosen = set(here.data.cluster_ids)
        choices = [[Choice(f"c{c.id}", label("cluster", name=c.name, chosen=c.id in chosen))]
                   for c in all_clusters(here.session)]
        if may_address_everyone(here.ctx.person):
            choices.append([Choice("all", label("everyone"))])
        choices.append([Choice("ok", label("go_on"))])
        return Question({"everyone_allowed": may_address_everyone(here.ctx.person),
                         "chosen": len(chosen)}, choices)

    def read_audience(self, here: Here[Notice], value: Input) -> Reading[Notice]:
        key = pressed(value) or ""
        data = here.data
        if key == "all":
            if not may_address_everyone(here.ctx.person):
                return refuse("everyone_not_allowed")
            return Goto("preview", data.model_copy(
                update={"everyone": True, "cluster_ids": [], "editing": False}))
        if key == "ok":
            if not data.cluster_ids:
                return refuse("pick_audience")
            return Goto("preview", data.model_copy(update={"everyone": False,
                                                           "editing": False}))
        cluster = self._cluster(here.session, key)
        if cluster is None:
            return refuse("pick_audience")
        ids = [i for i in data.cluster_ids if i != cluster.id]
        if len(ids) == len(data.cluster_ids):
            ids.append(cluster.id or 0)
        return Goto("audience", data.model_copy(update={"cluster_ids": sorted(ids)}))

    @staticmethod
    def _cluster(session: Session, key: str) -> Cluster | None:
        if not key.startswith("c") or not key[1:].isdigit():
            return None
        return session.exec(select(Cluster).where(col(Cluster.id) == int(key[1:]))).first()

    # -- the preview -----------------------------------------------------------------------

    def ask_preview(self, here: Here[Notice]) -> Question:
        data = here.data
        if data.text is None or not (data.everyone or data.cluster_ids):
            return Question({"gone": True}, [[Choice("edit", label("edit"))]])
        heard = audience(here.session, None if data.everyone else data.cluster_ids)
        return Question(
            {"notice": notice_text(heard, data.text, here.ctx.person), "gone": False,
             "members": len(heard.members), "chats": len(heard.chats),
             "clusters": heard.clusters},
            [[Choice("send", label("send"))],
             [Choice("edit", label("edit")), Choice("drop", label("drop"))]])

    def read_preview(self, here: Here[Notice], value: Input) -> Reading[Notice]:
        key, data = pressed(value), here.data
        if key == "edit":
            return Goto("edit", data)
        if key == "drop":
            service.close(here.session, here.dialog)
            return Turn(None, self.say("dropped"))
        if key != "send" or data.text is None or not (data.everyone or data.cluster_ids):
            return refuse("use_buttons")
        # The role may have changed since the dialog opened: asked again at the last step.
        require(here.ctx.person, "duyuru")
        if data.everyone and not may_address_everyone(here.ctx.person):
            return refuse("everyone_not_allowed")
        try:
            heard = audience(here.session, None if data.everyone else data.cluster_ids)
        except NoticeError as error:
            return refusal_of(error)
        if not heard.members and not heard.chats:
            return refuse("nobody")
        done = announce(here.session, text=data.text, audience=heard,
                        subject=service.source_key(here.dialog), now=here.ctx.now,
                        author=here.ctx.person)
        service.close(here.session, here.dialog)
        return Turn(None, self.say("queued", members=done.members, chats=done.chats))

    # -- what to correct -------------------------------------------------------------------

    def ask_edit(self, here: Here[Notice]) -> Question:
        return Question({}, [[Choice("text", label("fix_text"))],
                             [Choice("audience", label("fix_audience"))],
                             [Choice("back", label("back"))]])

    def read_edit(self, here: Here[Notice], value: Input) -> Reading[Notice]:
        key, data = pressed(value), here.data
        if key == "text":
            return Goto("text", data.model_copy(update={"editing": True}))
        if key == "audience":
            return Goto("audience", data)
        if key == "back":
            return Goto("preview", data)
        return refuse("use_buttons")
