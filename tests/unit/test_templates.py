"""Every template under templates/ renders with sample data; Telegram messages are valid HTML.

Two tables drive this: SAMPLES (parameters for whole templates, one entry per case; for
templates that dispatch on `name`, every branch) and MACRO_SAMPLES (arguments for the macros of
macro-only files such as texts/*.j2; those under messages/ must give valid Telegram HTML too).
A template or macro added without a sample fails `test_every_template_has_samples` /
`test_every_macro_with_arguments_has_samples`: add one here.

Sample people and free text carry "<", ">" and "&", so a template that forgets to escape in
messages/ produces HTML Telegram would refuse (checked with the local Bot API's parser).
Entries that need the real plan are functions of `real`, read from the bundled plan database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace as NS
from typing import Any

import pytest
from jinja2 import nodes
from jinja2.runtime import Macro
from sqlmodel import Session, col, select

from local_bot_api.formatting import EntityParseError, parse_html
from tracker import texts
from tracker.access import COMMAND_ORDER, MEMBER_ORDER
from tracker.db import create_db_engine
from tracker.models import (
    Action,
    Cluster,
    Indicator,
    Invite,
    Organisation,
    OrgKind,
    Person,
    Role,
    Status,
)
from tracker.notifications.broadcast import BroadcastProgress
from tracker.notifications.rules import SendRule
from tracker.notifications.sending import Backlog
from tracker.numbers import NumberFormatError
from tracker.organisations import list_organisations
from tracker.people import CreatedInvite
from tracker.plans import find_item, plan_tree, resolve_plan
from tracker.proposals import Proposal
from tracker.quarters import ISTANBUL, Quarter, QuarterError
from tracker.reports.summary import Short
from tracker.reports.workbook import COLUMN_KEYS
from tracker.setup import UpgradeResult
from tracker.updates_export import INDICATOR_KEYS, KINDS, STATUS_KEYS

ROOT = texts.TEMPLATES_DIR
ODD = "<b>Ayşe</b> & “Co” <script>"  # what a person might type or be called
Q = Quarter.parse("2014Q1")
WHEN = datetime(2014, 4, 10, 10, 0, tzinfo=ISTANBUL)

Sample = dict[str, Any] | Callable[[NS], dict[str, Any] | list[dict[str, Any]]]


# -- sample objects ---------------------------------------------------------------------------

PERSON = Person(display_name=ODD, organisation_id=1, role=Role.REPORTER)
MEMBER = Person(display_name=ODD, role=Role.MEMBER, firm=ODD, consent_version="1",
                consent_at=datetime(2014, 4, 10, 7, tzinfo=UTC), bulletins=False,
                stopped_at=datetime(2014, 4, 11, 7, tzinfo=UTC))
ORG = Organisation(short="EBSO", name="Ege Bölgesi Sanayi Odası", kind=OrgKind.CHAMBER)
ODD_ORG = Organisation(short="A&B <x>", name="A&B <x> Derneği", kind=OrgKind.OTHER)
CLUSTER = Cluster(code="organik-gida", name="İzmir Organik Gıda Kümesi <&>")
ACTION = Action(code="E1.2.3", title="Ulusal ve uluslar arası <küme> & örgütleri ile işbirliği")
INDICATOR = Indicator(
    code="G01",
    title="Kümedeki firma sayısı <&>",
    level=1,
    value_type="count",
    unit="firma",
    min_value=Decimal(0),
    max_value=Decimal(5000),
)
PERCENT = Indicator(
    code="G02",
    title="İhracat payı",
    level=1,
    value_type="percent",
    unit="%",
    min_value=Decimal(0),
    max_value=None,
)


def created_invite(multi: bool, cluster: Cluster | None) -> CreatedInvite:
    invite = Invite(token="tok", organisation_id=1, role=Role.MEMBER, multi=multi, expires_at=WHEN)
    return CreatedInvite(invite, ODD_ORG if multi else ORG, cluster)


PREVIOUS = {
    "quarter": "2013Q4",
    "status": "in_progress",
    "progress": 30,
    "narrative": ODD * 40,
    "blockers": ODD,
    "evidence_link": "https://ornek.org/a?b=1&c=2",
    "evidence_file_name": None,
    "evidence_file_id": None,
}
ANSWERS = {
    "status": "delayed",
    "progress": 40,
    "narrative": ODD,
    "blockers": ODD,
    "evidence_link": "https://ornek.org/?q=<a>&b",
    "evidence_file_name": None,
    "evidence_file_id": None,
}


def status(name: str, **extra: Any) -> dict[str, Any]:
    """A status.j2 step with what the engine always passes (tracker/dialogs/status.py)."""
    params = {"action": ACTION, "quarter": Q, "previous": PREVIOUS, "answers": ANSWERS}
    return {"name": name, "error": None, **params, **extra}


def figure(name: str, **extra: Any) -> dict[str, Any]:
    """A figures.j2 step with what the engine always passes (tracker/dialogs/figures.py)."""
    return {"name": name, "error": None, "cluster": CLUSTER, "quarter": Q, "total": 26, **extra}


def question(indicator: Indicator, **extra: Any) -> dict[str, Any]:
    defaults = {
        "position": 3,
        "previous": Decimal("1250.5"),
        "previous_period": Quarter.parse("2013Q3"),
        "stored": None,
        "answer": None,
        "mark": "open",
        "editing": False,
    }
    return figure("figure", indicator=indicator, **{**defaults, **extra})


ROWS = [
    {
        "indicator": INDICATOR,
        "title": INDICATOR.title,
        "mark": "set",
        "value": Decimal(45),
        "stored": None,
    },
    {
        "indicator": PERCENT,
        "title": PERCENT.title,
        "mark": "skipped",
        "value": None,
        "stored": Decimal("12.5"),
    },
    {"indicator": PERCENT, "title": PERCENT.title, "mark": "open", "value": None, "stored": None},
]
DUTY = NS(
    organisation=ODD_ORG,
    actions=[ACTION, ACTION],
    open_actions=[ACTION],
    cluster=CLUSTER,
    indicators=3,
    figures_entered=False,
)
QUIET_DUTY = NS(
    organisation=ORG,
    actions=[ACTION],
    open_actions=[],
    cluster=None,
    indicators=0,
    figures_entered=True,
)
NOTIFICATION = NS(
    id=7,
    status="failed",
    kind="reminder",
    subject="EBSO",
    period="2014Q1",
    attempts=3,
    sent_at=None,
    not_before=WHEN,
    last_error="Forbidden: bot was blocked",
)
SENT = NS(
    id=8,
    status="sent",
    kind="prompt",
    subject="İZTO",
    period="2014Q1",
    attempts=1,
    sent_at=WHEN,
    not_before=WHEN,
    last_error=None,
)


# An event (the attendance messages), one with a place and one online only.
EVENT = NS(id=12, title=ODD, starts_at=WHEN, place=ODD, online_url=None, manual_attendance=25)
ONLINE_EVENT = NS(id=13, title="Çevrim içi", starts_at=WHEN, place=None,
                  online_url="https://meet.example/a?b=1&c=<2>", manual_attendance=None)


EVENT_SUMMARY = NS(
    count=3, satisfaction=4.25,
    total=NS(key="", events=3, participants=1250, attended=210),
    by_cluster=(NS(key=ODD, events=2, participants=40, attended=30),
                NS(key="", events=1, participants=1210, attended=180)),
    by_action=(NS(key="E3.1.4", events=2, participants=40, attended=30),
               NS(key="", events=1, participants=1210, attended=180)))


# -- whole templates --------------------------------------------------------------------------

SAMPLES: dict[str, list[Sample]] = {
    # Telegram messages
    "messages/apology.j2": [{}],
    "messages/attendance.j2": [
        {"name": "reminder", "event": EVENT, "person": PERSON},
        {"name": "reminder", "event": ONLINE_EVENT, "person": PERSON},
        {"name": "satisfaction", "event": EVENT, "person": PERSON},
        {"name": "checked_in", "event": EVENT, "again": False},
        {"name": "checked_in", "event": EVENT, "again": True},
        {"name": "checkin_refused", "reason": ODD},
        {"name": "qr", "event": EVENT, "link": "https://t.me/kume_bot?start=ci_a", "scanned": 3},
        {"name": "qr", "event": ONLINE_EVENT, "link": "https://t.me/k?start=ci_x", "scanned": 0},
        {"name": "head_count", "event": EVENT, "scanned": 3, "error": ODD},
        {"name": "head_count", "event": NS(**{**vars(EVENT), "manual_attendance": None}),
         "scanned": 0},
        {"name": "head_count_dropped"},
        {"name": "head_count_saved", "event": EVENT, "count": 1250, "scanned": 3},
        {"name": "usage", "events": [EVENT, ONLINE_EVENT]},
        {"name": "usage", "events": []},
    ],
    "messages/broadcast.j2": [
        {"name": "progress", "progress": BroadcastProgress(total=3000, sent=1240, waiting=1760)},
        {"name": "progress", "progress": BroadcastProgress(
            total=3000, sent=1240, blocked=3, failed=1, unknown=2, waiting=1754)},
        {"name": "progress", "progress": BroadcastProgress(total=3, sent=2, failed=1)},
        {"name": "report", "progress": BroadcastProgress(total=1, sent=1)},
        {"name": "report", "progress": BroadcastProgress(
            total=3000, sent=2990, blocked=3, failed=1, unknown=5, skipped=1)},
    ],
    # Notices (/duyuru, kume broadcast, /bagla).
    "messages/notice.j2": [
        {"clusters": [CLUSTER, CLUSTER], "text": ODD, "author": PERSON},
        {"clusters": [], "text": ODD, "author": None},
    ],
    "messages/duyuru.j2": [
        {"name": "text", "limit": 3000, "editing": False, "resumed": True, "error": ODD},
        {"name": "text", "limit": 3000, "editing": True},
        {"name": "audience", "everyone_allowed": True, "chosen": 2, "resumed": False},
        {"name": "audience", "everyone_allowed": False, "chosen": 0},
        {"name": "preview", "gone": False, "notice": "📣 <b>Duyuru</b>\n\n&lt;b&gt;",
         "members": 1250, "chats": 2, "clusters": [CLUSTER]},
        {"name": "preview", "gone": False, "notice": "📣", "members": 0, "chats": 0,
         "clusters": [CLUSTER]},
        {"name": "preview", "gone": True},
        {"name": "edit"},
        {"name": "queued", "members": 1250, "chats": 1},
        {"name": "queued", "members": 0, "chats": 1},
        {"name": "dropped"},
    ],
    "messages/cluster_chat.j2": [
        {"name": "linked", "cluster": CLUSTER, "title": ODD},
        {"name": "linked", "cluster": CLUSTER, "title": ODD, "chat_id": -1001234},
        {"name": "unlinked", "cluster": CLUSTER},
        {"name": "unlinked", "cluster": None},
        {"name": "added", "codes": ["organik-gida", ODD], "channel": False},
        {"name": "added", "codes": ["organik-gida"], "channel": True},
        {"name": "usage_group"},
        {"name": "usage_private"},
        {"name": "usage_unlink"},
        {"name": "channel_private"},
        {"name": "chat_not_found", "target": ODD},
        {"name": "bot_not_admin", "title": ODD},
    ],
    "cli/broadcast.j2": [
        {"name": "count", "audience": NS(everyone=True, clusters=[], members=[1, 2], chats=[])},
        {"name": "count", "audience": NS(everyone=False, clusters=[CLUSTER], members=[1],
                                         chats=[1])},
        {"name": "not_sent", "audience": NS(everyone=True, clusters=[], members=[], chats=[])},
        {"name": "queued", "audience": NS(everyone=True, clusters=[], members=[], chats=[]),
         "done": NS(members=1250, chats=0)},
        {"name": "queued", "audience": NS(everyone=True, clusters=[], members=[], chats=[]),
         "done": NS(members=3, chats=2)},
    ],
    "messages/consent.j2": [
        {"name": "notice", "cluster": CLUSTER, "version": "1"},
        {"name": "declined"},
        {"name": "welcome", "person": MEMBER, "cluster": CLUSTER},
        {"name": "rejoined", "cluster": CLUSTER, "added": True},
        {"name": "rejoined", "cluster": CLUSTER, "added": False},
    ],
    "messages/firm.j2": [
        {"name": "firm", "person": MEMBER, "error": "Firma adı <boş> olamaz."},
        {"name": "saved", "firm": ODD},
        {"name": "skipped"},
    ],
    "messages/invite_qr.j2": [{"created": created_invite(True, CLUSTER)}],
    "messages/members.j2": [
        {"name": "subscriptions", "subs": NS(stopped=False), "changed": None},
        {"name": "subscriptions", "subs": NS(stopped=True), "changed": "✅ <b>x</b>"},
        {"name": "followed", "following": True, "cluster": CLUSTER},
        {"name": "followed", "following": False, "cluster": CLUSTER},
        {"name": "bulletins", "on": True},
        {"name": "bulletins", "on": False},
        {"name": "stopped", "followed": 2},
        {"name": "stopped", "followed": 0},
        {"name": "data", "person": MEMBER, "clusters": [CLUSTER.name], "rsvps": 2},
        {"name": "data", "person": PERSON, "clusters": [], "rsvps": 0},
        {"name": "delete_confirm"},
        {"name": "deleted"},
        {"name": "delete_kept"},
        {"name": "not_member"},
    ],
    "messages/cancelled.j2": [
        {"had_dialog": True, "kind": "firm"},
        {"had_dialog": True, "kind": "status"},
        {"had_dialog": True, "kind": "figures"},
        {"had_dialog": True, "kind": "notice"},
        {"had_dialog": False, "kind": None},
    ],
    "messages/draft_expired.j2": [{"kind": "status"}, {"kind": "figures"}, {"kind": "firm"},
                                  {"kind": "notice"}],
    "messages/help.j2": [
        {
            "person": PERSON,
            "organisation": ODD_ORG,
            "commands": list(COMMAND_ORDER),
            "in_dialog": True,
        },
        {
            "person": PERSON,
            "organisation": ORG,
            "commands": ["iptal", "yardim"],
            "in_dialog": False,
        },
    ],
    "messages/invite_created.j2": [
        {"created": created_invite(False, None), "link": "https://t.me/kume_bot?start=a_b-c"},
        {"created": created_invite(True, CLUSTER), "link": "https://t.me/kume_bot?start=x"},
    ],
    "messages/invite_refused.j2": [{"reason": ODD}],
    "messages/fault.j2": [
        {"kind": ODD, "during_update": True, "at": WHEN, "minutes": 15},
        {"kind": "OperationalError", "during_update": False, "at": WHEN, "minutes": 15},
    ],
    "messages/invite_usage.j2": [
        {}, {"error": "Kullanım: /davet <kuruluş> <rol>"}, {"admin": False}, {"admin": True}],
    "messages/no_dialog.j2": [{}],
    "messages/not_ours.j2": [{"quarter": Q, "actions": [ACTION]}, {"quarter": Q, "actions": []}],
    "messages/not_ours_sent.j2": [{"action": ACTION, "quarter": Q}],
    "messages/not_registered_notice.j2": [{}],
    "messages/notify.j2": [
        {"name": "prompt", "person": PERSON, "duty": DUTY, "quarter": Q, "due": WHEN},
        {"name": "prompt", "person": PERSON, "duty": QUIET_DUTY, "quarter": Q, "due": WHEN},
        {"name": "reminder", "person": PERSON, "duty": DUTY, "quarter": Q, "due": WHEN},
        {"name": "reminder", "person": PERSON, "duty": QUIET_DUTY, "quarter": Q, "due": WHEN},
        {
            "name": "escalation",
            "quarter": Q,
            "due": WHEN,
            "silent": [DUTY, QUIET_DUTY],
            "nobody": [DUTY],
            "unassigned": [ACTION],
        },
        {
            "name": "escalation",
            "quarter": Q,
            "due": WHEN,
            "silent": [],
            "nobody": [],
            "unassigned": [],
        },
        {"name": "missed", "quarter": Q, "count": 4, "kinds": ["reminder"]},
        {"name": "blocked_contact", "person": PERSON, "organisation": ODD_ORG},
        {
            "name": "reassign",
            "organisation": ODD_ORG,
            "action": ACTION,
            "quarter": Q,
            "person": PERSON,
        },
    ],
    "messages/refusal.j2": [{"reason": ODD}],
    "messages/reopen_usage.j2": [{}],
    "messages/reminder_usage.j2": [
        {"command": c, "example": Q, "error": e}
        for c in ("ertele", "degil")
        for e in (None, "“<2014Q5>” geçerli bir çeyrek değil.")
    ],
    "messages/reopened.j2": [{"organisation": ODD_ORG, "quarter": Q, "until": WHEN}],
    "messages/snoozed.j2": [{"when": WHEN}, {"when": None}],
    "messages/stale_button.j2": [{}],
    "messages/status.j2": [
        status("no_open_quarter", current=Q),
        status("nothing_to_report"),
        status("pick", count=4, answered=1, error="Lütfen <listeden> seçin & sonra"),
        status("status", resumed=True),
        status("status", previous=None, resumed=False),
        status("progress"),
        status("progress", previous=None),
        status("narrative"),
        status("narrative", answers={**ANSWERS, "status": "not_started", "progress": 0}),
        status("blockers"),
        status("evidence"),
        status("evidence", events="Bu çeyrekte E3.1.4 <kapsamında> & 3 etkinlik"),
        status("confirm"),
        status("confirm", answers={**ANSWERS, "evidence_link": None, "evidence_file_name": None,
                                   "evidence_note": "3 etkinlik <&> 210 katılımcı"}),
        status(
            "confirm",
            answers={
                **ANSWERS,
                "status": "completed",
                "evidence_link": None,
                "evidence_file_name": "<rapor>.pdf",
                "evidence_note": "Katılım <listesi> & fotoğraflar",
            },
        ),
        status("edit"),
        status("confirm", answers={**ANSWERS, "status": "not_started", "narrative": ""}),
        status("saved", update=NS(status=Status.IN_PROGRESS, progress=40, version=2), remaining=2),
        status("saved", update=NS(status="completed", progress=100, version=1), remaining=0),
        status("kept_as_draft"),
        status("locked"),
    ],
    "messages/figures.j2": [
        figure("no_open_quarter", current=Q),
        figure("nothing_to_enter", level=1),
        figure("no_indicators"),
        figure("pick", count=7, error="Lütfen <bir küme> seçin"),
        question(INDICATOR, resumed=True),
        question(
            PERCENT, stored=Decimal(3), answer=Decimal("4.5"), mark="set", previous_period=None
        ),
        question(PERCENT, previous=None, mark="skipped"),
        question(INDICATOR, proposal=Proposal(Decimal(42), "members", {"count": 42})),
        lambda real: [question(indicator) for indicator in real.indicators],
        {**question(INDICATOR, value=Decimal(9000), direction="above"), "name": "odd"},
        {**question(PERCENT, value=Decimal(1), direction="below"), "name": "odd"},
        figure("summary", rows=ROWS, entered=1, skipped=2),
        figure("edit", rows=ROWS, entered=1, skipped=2),
        figure("saved", saved=20, skipped=6, corrected=2),
        figure("saved", saved=1, skipped=0, corrected=0),
        figure("kept_as_draft"),
        figure("locked"),
    ],
    "messages/unknown_command.j2": [{"command": "/<b>foo&"}],
    "messages/unregistered.j2": [{}],
    "messages/welcome.j2": [
        {
            "person": PERSON,
            "organisation": ODD_ORG,
            "rebound": False,
            "commands": list(COMMAND_ORDER),
        },
        {"person": PERSON, "organisation": ORG, "rebound": True, "commands": ["yardim"]},
        {"person": MEMBER, "organisation": None, "rebound": False, "commands": ["abone"],
         "returning": True, "stopped": True},
        {
            "person": PERSON,
            "organisation": ORG,
            "rebound": False,
            "commands": ["durum"],
            "returning": True,
        },
    ],
    # Terminal output
    "cli/db_upgrade.j2": [
        {
            "url": "sqlite:///data/kume.sqlite3",
            "result": UpgradeResult(None, "a1b2", "IZKA-KUME-2013-2018"),
        },
        {"url": "postgresql://kume@db/kume", "result": UpgradeResult("a1b2", "a1b2", None)},
    ],
    "cli/error.j2": [{"message": "“X” adlı kuruluş yok."}],
    "cli/invite_created.j2": [
        {
            "created": created_invite(False, None),
            "link": "https://t.me/kume_bot?start=a",
            "days": 14,
        },
        {
            "created": CreatedInvite(
                Invite(token="t", role=Role.MEMBER, multi=True, expires_at=WHEN), None, CLUSTER),
            "link": "https://t.me/kume_bot?start=m",
            "days": 90,
            "qr": "afis.png",
        },
        {
            "created": created_invite(True, CLUSTER),
            "link": "https://t.me/kume_bot?start=b",
            "days": 1,
        },
    ],
    "cli/orgs_list.j2": [lambda real: {"organisations": real.organisations}],
    "cli/outbox.j2": [
        {"rows": [], "status": None},
        {"rows": [], "status": "failed"},
        {"rows": [(NOTIFICATION, PERSON), (SENT, PERSON)], "status": None},
        {"rows": [(NS(**{**vars(SENT), "chat_id": -1001234}), PERSON)], "status": "sent"},
    ],
    "cli/plan_exported.j2": [{"path": "plan.xlsx", "fmt": "xlsx", "size": 123456}],
    "cli/plan_imported.j2": [lambda real: {"tree": real.tree}],
    "cli/plan_item.j2": [
        lambda real: [
            {"tree": real.tree, "item": find_item(real.tree, code)}
            for code in ("Ö1", "H1.2", "E1.2.3", "E2.1.1")
        ],
    ],
    "cli/plan_show.j2": [lambda real: {"tree": real.tree}],
    "cli/report_written.j2": [
        {"out": "rapor/", "files": [("rapor/2014Q1.pdf", 123456), ("rapor/2014Q1.xlsx", 9876)]},
        {"out": "rapor/", "files": []},
    ],
    "cli/run_due.j2": [
        {
            "now": WHEN,
            "report": NS(enqueued={"prompt": 12, "reminder": 3}, missed=2),
            "sent": NS(sent=14, skipped=1, blocked=1, failed=0, unknown=2, halted=None),
            "token": True,
            "waiting": Backlog(
                closed={SendRule.WORKING_HOURS: (400, WHEN), SendRule.WAKING_HOURS: (3, WHEN)},
                retry=3, retry_at=WHEN, later=12, later_at=WHEN, sending=1),
        },
        {"now": WHEN, "report": NS(enqueued={}, missed=0), "sent": None, "token": False,
         "waiting": Backlog(due=5)},
        {"now": WHEN, "report": NS(enqueued={"prompt": 1}, missed=0), "sent": None,
         "token": True, "waiting": Backlog(due=1)},
        {"now": WHEN, "report": NS(enqueued={}, missed=0), "token": True,
         "waiting": Backlog(due=7),
         "sent": NS(sent=0, skipped=0, blocked=0, failed=0, unknown=0, halted="Unauthorized")},
        {"now": WHEN, "report": NS(enqueued={}, missed=0), "token": True, "waiting": Backlog(),
         "sent": NS(sent=3, skipped=0, blocked=0, failed=0, unknown=0, halted=None)},
        {"now": WHEN, "report": NS(enqueued={}, missed=0), "token": True, "waiting": None,
         "sent": None},
    ],
    "cli/updates_exported.j2": [
        {"path": "durum.csv", "fmt": "csv", "statuses": 1200, "values": 26, "size": 98765},
    ],
}

# -- macros of macro-only files: template -> macro -> list of keyword arguments ----------------
# Macros without arguments need no entry: they are called once with none.

PERSONA = NS(key="ebso", name="EBSO sorumlusu", person="Ayşe", organisation="EBSO", cluster=None)
PERSONA_2 = NS(
    key="ky-organik",
    name="KY Organik Gıda sorumlusu",
    person="Mehmet",
    organisation="KY Organik Gıda",
    cluster="organik-gida",
)


def _report_view(**extra: Any) -> NS:
    """A SummaryView-shaped sample for messages/report.j2 `summary` (every branch filled)."""
    figure = NS(
        indicator_code="G05",
        indicator_title="İhracat <değeri> &",
        subject=ODD,
        period=Q,
        unit="TL",
        value=Decimal(20000000),
        previous_value=Decimal(1000000),
        change_percent=1900.0,
    )
    share = NS(
        indicator_code="G13",
        indicator_title="Kârlılık oranı",
        subject=ODD,
        period=Q,
        unit="%",
        value=Decimal("-4.1"),
        previous_value=Decimal("15.1"),
        change_percent=None,
    )
    view = dict(
        title="2014 1. Çeyrek · Ö1",
        plan_title="İzmir Kümelenme Stratejisi 2013-2018",
        topic="genel",
        scope="Ö1",
        scope_title="Kümelenmenin <Yönetişimi>",
        cluster_name=None,
        managements=(),
        contacts=0,
        answered=False,
        counted=7,
        priorities=(
            NS(
                code="Ö1",
                title="Kümelenmenin Yönetişimi",
                total=7,
                counts=(("Devam ediyor", 4), ("Yanıt yok", 3)),
                average=42.5,
            ),
        ),
        totals=(("Devam ediyor", 4), ("Yanıt yok", 3)),
        turnout=(
            NS(
                label="2013 4. Çeyrek",
                asked=0,
                complete=0,
                partial=Short(()),
                missing=Short(()),
                no_contacts=Short(()),
                prompts=0,
                reminders=0,
                percent=None,
            ),
            NS(
                label="2014 1. Çeyrek",
                asked=17,
                complete=1,
                partial=Short(((ODD, 2, 4),), 1),
                missing=Short(("İZTO", ODD), 3),
                no_contacts=Short((ODD,)),
                prompts=9,
                reminders=2,
                percent=5.9,
            ),
        ),
        figures=(
            NS(label="2014 1. Çeyrek", owed=6, given=1, missing=Short((ODD,), 4)),
            NS(label="2014 2. Çeyrek", owed=0, given=0, missing=Short(())),
        ),
        figure_count=22,
        figures_expected=22,
        notable=(figure,),
        cluster_figures=Short((figure, share), 12),
        waiting=Short(("E1.1.1",), 2),
        delayed=Short((NS(action_code="E3.1.1", organisations=("EBSO", ODD)),), 1),
        unassigned=Short(("E2.1.1", "E2.1.2")),
        stale=Short((NS(action_code="E1.2.3", organisation_short=ODD, progress=40),)),
        implausible=Short((figure, share), 2),
        flag_count=6,
        members=(1250, 40, 3),
        events=None,
    )
    return NS(**{**view, **extra})


def one(**kwargs: Any) -> list[dict[str, Any]]:
    return [kwargs]


MACRO_SAMPLES: dict[str, dict[str, list[dict[str, Any]]]] = {
    "texts/attendance.j2": {
        "checkin_not_member": one(title=ODD * 10),
        "checkin_not_today": one(title=ODD, starts_at=WHEN),
        "event_not_found": one(id="12"),
        "not_your_event": one(title=ODD),
        "event_not_published": one(title=ODD),
        "head_count_not_number": one(value=ODD * 5),
        "head_count_range": one(value="-3", limit=100000),
        "events_evidence": one(code="E3.1.4", quarter=Q.label, events=3, attended=1210),
        "satisfaction_saved": [{"title": ODD * 5, "score": 4, "changed": c} for c in (1, 0)],
    },
    "texts/buttons.j2": {
        "action": [
            {"code": "E1.2.3", "title": ACTION.title * 2, "mark": m}
            for m in ("answered", "draft", "open")
        ],
        "indicator": [
            {"code": "G01", "title": INDICATOR.title * 3, "mark": m}
            for m in ("set", "skipped", "open")
        ],
        "cluster_pick": [{"name": CLUSTER.name * 3, "mark": m} for m in ("done", "draft", "open")],
        "status": [{"status": str(s)} for s in Status],
        "keep_progress": one(value=40),
        "keep_value": one(value="1.250,5"),
        "next_action": one(code="E3.1.1"),
        "field": [
            {"field": f, "status": s}
            for f in ("status", "progress", "narrative", "blockers", "evidence")
            for s in ("in_progress", "not_started")
        ],
        "cluster": one(name=CLUSTER.name),
        "answer_action": one(code="E1.2.3"),
        "not_ours_action": one(code="E1.2.3"),
        "follow": [{"name": CLUSTER.name * 3, "following": f} for f in (True, False)],
        "bulletins": [{"on": True}, {"on": False}],
    },
    "texts/bot_profile.j2": {},
    "texts/commands.j2": {
        # Every command a menu lists needs a description.
        "description": [{"name": name} for name in (*MEMBER_ORDER, *COMMAND_ORDER)],
        "role": [{"role": role} for role in Role],
        "role_note": [{"role": Role.MEMBER}, {"role": Role.REPORTER}],
    },
    "texts/dialog_errors.j2": {
        "file_too_large": one(megabytes=20),
        "unit_note": [{"unit": "TL"}, {"unit": "%"}, {"unit": ""}],
        "figure_percent_sign": one(title=INDICATOR.title),
        "figures_no_cluster": one(organisation="EBSO"),
        "figures_not_allowed": one(organisation="EBSO"),
        "figure_too_precise": one(places=2),
        "figures_wrong_cluster": one(cluster=CLUSTER.name),
        "figure_not_number": one(problem=NumberFormatError("kırk")),
        "figure_above_max": one(value=Decimal(150), high=Decimal(100), unit="%"),
        "figure_below_min": one(value=Decimal(-3), low=Decimal(0), unit="firma"),
        "figure_out_of_range": one(value=Decimal("1e7"), low=0, high=Decimal(5000), unit="firma"),
        "figure_wrong_unit": one(unit="TL", expected="firma"),
        "figure_not_whole": one(value=Decimal("12.5")),
        "figures_wrong_indicator": one(count=2),
        "text_too_long": one(length=2345, limit=2000),
        "progress_not_number": one(value="yüzde kırk"),
        "not_a_description": [{"value": "%60", "progress_asked": a} for a in (True, False)],
        "progress_range": one(value="150"),
    },
    "texts/proposals.j2": {
        "members": one(count=1250),
        "member_change": one(before=40, after=42, joined=5, left=3),
        "satisfaction": one(mean=Decimal("4.25"), answers=1250),
    },
    "texts/numbers.j2": {
        "empty": one(text=""),
        "unknown_unit": one(text=f"5 {ODD}", word=ODD),
        **{
            code: one(text=f"1,2,3 {ODD}")
            for code in (
                "unreadable", "too_long", "several_commas", "adjacent_separators",
                "spaces_and_dots", "dot_groups", "space_groups", "leading_separator", "one_sign",
                "percent_and_multiplier", "percent_and_unit", "unit_order",
            )
        },
    },
    "texts/quarters.j2": {
        "empty": one(text=" "),
        "year": one(text="14Q2", first=1900, last=2999),
        **{code: one(text=ODD) for code in ("unreadable", "quarter_number", "bare_year")},
    },
    "texts/errors.j2": {
        "report_usage": one(reason="“2014Q5” geçerli bir çeyrek değil <&>."),
        "schema_outdated": one(current="a1", head="b2"),
        "quarter_not_ended": one(quarter="2014 2. Çeyrek"),
        "quarter_not_locked": one(quarter="2014 1. Çeyrek"),
        "bad_quarter": one(problem=QuarterError("2014Q5", "quarter_number")),
        "role_cannot": one(command="davet", role="reporter"),
        "item_not_found": one(code="E9.9.9", plan="IZKA-KUME-2013-2018"),
        "not_your_action": one(code="E1.1.1", quarter="2014 1. Çeyrek"),
        "invite_group": one(short="Küme Yönetimleri"),
        "invite_days": one(days=400),
        "organisation_not_found": one(short="Olmayan"),
        "progress_range": one(value=150),
        "unknown_role": one(value="patron"),
        "plan_ambiguous": one(known=["A", "B"]),
        "plan_not_found": one(code="X", known=["A", "B"]),
        "cluster_not_found": one(code="yok"),
        "reopen_days": one(days=90),
        "firm_too_long": one(length=250, limit=200),
    },
    "texts/announcements.j2": {
        "cluster": [{"name": CLUSTER.name * 3, "chosen": True},
                    {"name": CLUSTER.name, "chosen": False}],
        "notice_too_long": one(length=3001, limit=3000),
        "cluster_unknown": [{"code": ODD, "known": ["organik-gida", "inoviz"]},
                            {"code": "yok", "known": []}],
    },
    "texts/plan_import.j2": {
        "located": [
            {
                "file": "plan.xlsx",
                "kind": "xlsx",
                "table": "actions",
                "table_label": "Eylemler",
                "row": 5,
                "column": "responsible",
                "column_label": "sorumlular",
                "letter": "D",
                "message": "boş bırakılamaz.",
            },
            {
                "file": "plan.json",
                "kind": "json",
                "table": "actions",
                "table_label": "Eylemler",
                "row": 2,
                "column": "code",
                "column_label": "kod",
                "letter": None,
                "message": "metin olmalı.",
            },
            {
                "file": "plan.csv",
                "kind": "csv",
                "table": None,
                "table_label": None,
                "row": None,
                "column": None,
                "column_label": None,
                "letter": None,
                "message": "dosya boş.",
            },
        ],
        "file_too_large": one(megabytes=20),
        "not_integer": one(value="x"),
        "too_long": one(length=5040, limit=1000),
        "bad_code": [{"value": "E1.1.1'); DROP TABLE action;--" * 3, "limit": 16}],
        "csv_header": one(column="tablo"),
        "duplicate": one(value="E1.1.1", first=3),
        "cannot_drop_reported": one(value="E1.1.1"),
        "plan_count": one(count=2),
        "quarter_outside_plan": one(value="2020Q1", start="2013Q1", end="2018Q4"),
        "min_above_max": one(low=10, high=1),
        "unknown_organisation": one(value="Olmayan Kurum"),
        "unknown_cluster": one(value="yok"),
        "unsupported_format": one(suffix=".doc"),
        "unknown_parent": one(value="H9.9", what="hedef"),
        "cell_too_long": one(limit=131072),
        "unparsable": [
            {"kind": "json", "line": 1, "column": 10},
            {"kind": "yaml", "line": None, "column": None},
            {"kind": "xlsx", "line": None, "column": None},
        ],
        "not_allowed": one(value="x", allowed=["a", "b"]),
        "not_number": one(value="x"),
        "not_boolean": one(value="belki"),
    },
    "texts/status.j2": {"label": [{"status": str(s)} for s in Status]},
    "texts/updates_export.j2": {
        "column": [{"key": key} for key in sorted({*STATUS_KEYS, *INDICATOR_KEYS})],
        "record": [{"kind": kind} for kind, _ in KINDS],
        "sheet": [{"kind": kind} for kind, _ in KINDS],
        "yes_no": [{"value": True}, {"value": False}],
        "since_after_until": one(since="2014Q3", until="2014Q1"),
    },
    "texts/report.j2": {
        "year": one(year=2014),
        "topic_label": [{"key": k} for k in ("genel", "gosterge", "katilim", "kume")],
        "report_title": [
            {"period": "2014 2. Çeyrek", "scope": None, "topic": "genel", "cluster": None},
            {"period": "2014 yılı", "scope": "Ö2", "topic": "katilim", "cluster": None},
            {"period": "2014 2. Çeyrek", "scope": None, "topic": "kume", "cluster": ODD},
        ],
        "state": [
            {"key": k} for k in (*(str(s) for s in Status), "no_answer", "inactive", "planned")
        ],
        "turnout": [{"key": k} for k in ("complete", "partial", "none")],
        "reason_future": one(period="2030 1. Çeyrek"),
        "reason_outside_plan": one(period="2010 yılı", spans=["2013 1. Çeyrek – 2018 4. Çeyrek"]),
        "reason_twice": [{"kind": k} for k in ("period", "scope", "topic")],
        "reason_unknown_word": one(words=["merhaba", ODD]),
        "reason_unknown_scope": one(code="E9.9.9", plan="IZKA-KUME-2013-2018"),
        "reason_no_cluster": [{"clusters": ["organik-gida", "inoviz"]}, {"clusters": []}],
        "reason_unknown_cluster": [
            {"text": ODD, "clusters": ["organik-gida"]},
            {"text": ODD, "clusters": []},
        ],
        "reason_ambiguous_cluster": one(text="izmir", matches=["organik-gida", "mobilya"]),
        "reason_cluster_topic": one(topic="katilim"),
        "sheet": [
            {"key": k} for k in ("ozet", "eylemler", "guncellemeler", "gostergeler", "katilim")
        ],
        "column": [{"key": k} for k in COLUMN_KEYS],
        "yes_no": [{"value": True}, {"value": False}],
        "info": [
            {"key": k}
            for k in (
                "plan",
                "period",
                "scope",
                "topic",
                "cluster",
                "created",
                "actions",
                "asked",
                "complete",
                "partial",
                "figures",
                "flags",
            )
        ],
        "flag": [{"kind": k} for k in ("delayed", "unassigned", "stale", "implausible")],
        "detail_delayed": one(organisations=["EBSO", ODD]),
        "detail_stale": one(progress=40, first="2014Q1", second="2014Q2"),
        "detail_implausible": one(
            previous=Decimal(1000000), value=Decimal(20000000), previous_period="2014Q1", unit="TL"
        ),
        "chart_title": [{"name": n, "title": ""} for n in ("durum", "takvim", "katilim")]
        + [{"name": "gosterge_G01", "title": "G01 · Paydaş sayısı"}],
        "axis": [
            {"key": k}
            for k in ("actions", "organisations", "asked", "complete", "partial", "period")
        ],
    },
    "messages/report.j2": {
        "usage": one(error="“<2015Q9>” bir çeyrek değil & olamaz."),
        "workbook_caption": [{"scope": ODD, "charts": 3}, {"scope": "EBSO", "charts": 0}],
        "chart_caption": one(title="Eylem durumları <&>", scope=ODD),
        "summary": [{"v": _report_view(topic=topic)} for topic in ("genel", "gosterge", "katilim")]
        + [{"v": _report_view(topic=topic, events=EVENT_SUMMARY)} for topic in ("genel", "kume")]
        + [
            {
                "v": _report_view(
                    topic="kume", cluster_name=ODD, managements=(ODD,), contacts=1, answered=True
                )
            },
            {
                "v": _report_view(
                    priorities=(),
                    counted=0,
                    flag_count=0,
                    delayed=Short(()),
                    unassigned=Short(()),
                    stale=Short(()),
                    implausible=Short(()),
                    notable=(),
                    cluster_figures=Short(()),
                    waiting=Short(()),
                )
            },
            {
                "v": _report_view(
                    topic="kume",
                    counted=0,
                    cluster_name=ODD,
                    managements=(),
                    flag_count=0,
                    implausible=Short(()),
                    members=None,
                )
            },
        ],
    },
    "cli/_macros.j2": {
        "kind_label": [{"kind": str(kind)} for kind in OrgKind],
        "schedule": [
            {
                "action": NS(
                    quarters=[
                        Quarter.parse("2013Q1"),
                        Quarter.parse("2013Q2"),
                        Quarter.parse("2014Q1"),
                    ],
                    schedule_is_default=False,
                )
            },
            {"action": NS(quarters=[], schedule_is_default=True)},
        ],
        "responsible": [
            {"action": NS(responsible=[NS(short="İZKA"), NS(short="EBSO")])},
            {"action": NS(responsible=[])},
        ],
    },
    "cli/config_errors.j2": {
        "file_missing": one(path="yok.toml"),
        "file_unreadable": one(path="c.toml", reason="Expected '=' (at line 1, column 5)"),
        "not_a_section": one(source="c.toml", section="telegram"),
        "invalid": one(source="c.toml", problems=["bilinmeyen anahtar: x", "telegram: …"]),
        "expectation": [
            {"kind": kind, "key": "telegram", "ctx": ctx}
            for kind, ctx in [
                ("missing", {}), ("int_parsing", {}), ("int_from_float", {}),
                ("float_parsing", {}), ("bool_parsing", {}), ("string_type", {}),
                ("list_type", {}), ("literal_error", {"choices": ["polling", "webhook"]}),
                ("greater_than", {"gt": 0}), ("greater_than_equal", {"ge": 0}),
                ("less_than", {"lt": 10}), ("less_than_equal", {"le": 180}),
                ("time_parsing", {}), ("datetime_parsing", {}), ("timezone_aware", {}),
                ("model_type", {}), ("webhook_url_required", {}), ("something_new", {}),
            ]
        ],
        "problem": [
            {"kind": "extra_forbidden", "key": "database.adres", "item": None, "env": None,
             "given": None, "hidden": False, "ctx": {}},
            {"kind": "int_parsing", "key": "telegram.admins", "item": 2,
             "env": "KUME_TELEGRAM_ADMINS", "given": '"x"', "hidden": False, "ctx": {}},
            {"kind": "string_type", "key": "telegram.token", "item": None, "env": None,
             "given": None, "hidden": True, "ctx": {}},
        ],
    },
    "cli/failures.j2": {
        "telegram_unreachable": one(base_url="https://api.telegram.org/bot",
                                    detail="httpx.ConnectError: All connection attempts failed"),
        "retrying": one(failure="Telegram Bot API'ye ulaşılamadı (…).", pause=2, attempt=1),
        "token_refused": one(base_url="https://api.telegram.org/bot"),
        "not_sent": one(failure="Telegram Bot API'ye ulaşılamadı (…)."),
    },
    "cli/help.j2": {
        "not_an_instant": one(text="dün <öğlen>"),
    },
    "cli/web.j2": {
        "serving": one(listen="127.0.0.1", port=8080, base_url="https://portal.example.org"),
        "archive_written": one(out="site", files=12, bulletins=2, events=3),
    },
    "cli/simulator.j2": {
        "persona_name": [
            {"key": k} for k in ("ebso", "ky-organik", "izka", "sekreter", "uye", "yonetici")
        ],
        "persona_person": [
            {"key": k} for k in ("ebso", "ky-organik", "izka", "sekreter", "uye", "yonetici")
        ],
        "banner": [
            {"now": WHEN, "reason": r, "url": "sqlite:///data/kume.sqlite3"}
            for r in ("option", "config", "default", "today")
        ],
        "date_reason": [{"reason": "today"}],
        "help": one(personas=[PERSONA, PERSONA_2]),
        "persona_list": [
            {"personas": [PERSONA, PERSONA_2], "current": PERSONA_2},
            {"personas": [PERSONA], "current": None},
        ],
        "said": one(persona=PERSONA, text="/durum"),
        "pressed": one(persona=PERSONA, number=2, label="Devam ediyor"),
        "sent_file": [
            {"persona": PERSONA, "name": "rapor.pdf", "size": 123456, "caption": c}
            for c in ("Katılım listesi", None)
        ],
        "registering": one(persona=PERSONA),
        "switched": one(persona=PERSONA_2),
        "date_shown": one(now=WHEN),
        "date_set": one(now=WHEN),
        "waiting": one(counts=[("EBSO sorumlusu", 2), ("İZKA uzmanı", 1)]),
        "logged_error": one(path="data/simulator.log"),
        "notice": one(text="Bu düğme artık geçerli değil."),
        "document": one(name="rapor.pdf"),
        "error": one(text="bir hata"),
        "prompt": one(persona=PERSONA),
    },
    "cli/simulator_errors.j2": {
        "unknown_persona": one(ref="9", names=["EBSO sorumlusu", "İZKA uzmanı"]),
        "no_button": [{"ref": "5", "count": 1}, {"ref": "5", "count": 3}],
        "button_ambiguous": one(ref="Onay", labels=["Onayla", "Onaylamıyorum"]),
        "link_button": one(label="Aç", url="https://t.me/x"),
        "unknown_command": one(word="foo"),
        "file_missing": one(path=""),
        "file_not_found": one(path="yok.pdf"),
        "file_is_folder": one(path="/tmp"),
        "file_unreadable": one(path="a.pdf", reason="izin yok"),
        "bad_date": one(value="dün"),
        "script_missing": one(path="senaryo.txt"),
        "script_line": one(path="senaryo.txt", line=3, reason="bilinmeyen komut"),
        "bot_failed": one(detail="bağlantı yok"),
    },
}


# -- events (tracker.events, tracker/dialogs/event*.py) --------------------------------------

EVENT = NS(title=ODD * 10, starts_at=WHEN, place=ODD, online_url=None, description=ODD * 100,
           audience=[CLUSTER.name, ODD], action_code="E3.1.4", capacity=1200, id=7,
           status="published")
ONLINE = NS(**{**vars(EVENT), "place": None, "online_url": "https://meet.example.org/a?b=<&>",
               "audience": [], "capacity": None, "description": "", "status": "cancelled"})
EVENT_DRAFT = {"action_code": "E3.1.4", "title": ODD}
FIGURES = NS(told=1200, yes=40, no=3, waiting=2, attended=None, satisfaction=None)
FULL_FIGURES = NS(told=1200, yes=40, no=3, waiting=2, attended=35, satisfaction=Decimal("4.25"))
LISTED = NS(event=EVENT, figures=FIGURES, manageable=True)


def event_step(name: str, **extra: Any) -> dict[str, Any]:
    """An /etkinlik step with what the engine always passes (tracker/dialogs/event.py)."""
    params = {"draft": EVENT_DRAFT, "now": WHEN, "default_action": "E3.1.4", "error": None}
    return {"name": name, **params, **extra}


SAMPLES["messages/event.j2"] = [
    event_step("title", resumed=True),
    event_step("title", error="Lütfen <kısa> & bir metin"),
    event_step("when"), event_step("place"), event_step("description"),
    event_step("audience", chosen=[CLUSTER.name]), event_step("audience", chosen=[]),
    event_step("action"), event_step("capacity"),
    event_step("preview", event=EVENT, approval=True),
    event_step("edit", event=ONLINE, approval=False),
    event_step("sent", event=EVENT, approval=True, event_id=7, queued=0, approvers=2),
    event_step("sent", event=EVENT, approval=True, event_id=7, queued=0, approvers=0),
    event_step("sent", event=EVENT, approval=False, event_id=7, queued=1200, approvers=0),
    event_step("sent", event=EVENT, approval=False, event_id=7, queued=0, approvers=0),
    {"name": "dropped"},
    {"name": "notice", "event": EVENT}, {"name": "notice", "event": ONLINE},
    {"name": "approval", "event": EVENT, "creator": PERSON},
    {"name": "approval", "event": ONLINE, "creator": None},
    {"name": "approved", "event": EVENT, "reason": None},
    {"name": "rejected", "event": EVENT, "reason": ODD * 20},
    {"name": "approved_by_you", "event": EVENT},
    {"name": "reject_reason", "event": EVENT},
    {"name": "reject_saved", "event": EVENT, "reason": ODD},
    {"name": "changed", "event": EVENT, "was": NS(starts_at=WHEN.replace(day=9), place=None,
                                                 online_url="https://a.org/<&>")},
    {"name": "changed", "event": EVENT, "was": NS(starts_at=WHEN, place=ODD, online_url=None)},
    {"name": "cancelled", "event": EVENT},
    {"name": "promoted", "event": EVENT},
    *({"name": "rsvp", "event": EVENT, "answer": a, "changed": c}
      for a in ("yes", "no", "waiting") for c in (True, False)),
    {"name": "calendar", "event": EVENT},
    {"name": "list", "upcoming": [LISTED] * 10, "past": [LISTED] * 5},
    {"name": "list", "upcoming": [], "past": []},
    {"name": "detail", "item": NS(event=EVENT, figures=FULL_FIGURES, manageable=False)},
    {"name": "change_field", "event": EVENT, "draft": NS(starts_at=None)},
    {"name": "change_when", "event": EVENT, "draft": NS(starts_at=None)},
    {"name": "change_place", "event": ONLINE, "draft": NS(starts_at=None)},
    {"name": "change_confirm", "event": EVENT, "told": 1200, "chats": 2,
     "draft": NS(starts_at=WHEN, place=None, online_url="https://b.org/?<&>")},
    {"name": "change_confirm", "event": EVENT, "told": 0, "chats": 0,
     "draft": NS(starts_at=None, place=ODD, online_url=None)},
    {"name": "change_saved", "event": EVENT, "told": 1200, "chats": 2},
    {"name": "change_saved", "event": EVENT, "told": 0, "chats": 1},
    {"name": "change_saved", "event": EVENT, "told": 0, "chats": 0},
    {"name": "change_dropped"},
    {"name": "cancel_confirm", "event": EVENT, "told": 3, "chats": 1},
    {"name": "cancel_confirm", "event": EVENT, "told": 0, "chats": 0},
    {"name": "cancel_saved", "event": EVENT, "told": 3, "chats": 0},
]
SAMPLES["messages/draft_expired.j2"] += [{"kind": "event"}, {"kind": "event_change"}]
SAMPLES["messages/cancelled.j2"] += [{"had_dialog": True, "kind": "event"}]
MACRO_SAMPLES["texts/dialog_kinds.j2"] = {  # every kind: tests/unit/test_dialog_kinds.py
    "draft_of": [{"kind": "bulletin"}, {"kind": "no-such-kind"}],
    "command_of": [{"kind": "event"}, {"kind": "no-such-kind"}]}
MACRO_SAMPLES["texts/buttons.j2"].update({
    "default_action": one(code="E3.1.4"),
    "audience_cluster": [{"name": CLUSTER.name * 3, "ticked": t} for t in (True, False)],
    "audience_done": one(count=2),
    "event_field": [{"field": f} for f in (
        "title", "when", "place", "description", "audience", "action", "capacity")],
    "event_item": one(title=ODD * 5, when="12.05"),
})
MACRO_SAMPLES["texts/dialog_errors.j2"].update({
    "type_action_code": one(code="E3.1.4"),
    "unknown_action_code": one(code=ODD, default="E3.1.4"),
    "capacity_not_number": one(value="kırk"),
    "capacity_range": one(value="0", limit=100000),
})
MACRO_SAMPLES["texts/errors.j2"].update({
    "event_date_month": one(word="mayisin"),
    "event_date_invalid_day": one(day=31, month=2, year=2014),
    "event_date_invalid_time": one(hour=25, minute=0),
    "event_date_past": one(moment=WHEN, now=WHEN),
    "event_date_far": one(moment=WHEN),
    "event_cancelled": one(title=ODD),
    "event_not_open": one(title=ODD),
    "event_past": [{"title": ODD}, {"title": None}],
    "event_not_for_you": one(title=ODD),
    "event_decided": [{"status": s} for s in ("published", "rejected", "cancelled")],
    "event_changed_meanwhile": one(title=ODD),
})
# E-mail: `kume mail send` and `kume subscribers`.
_MAIL_REPORT = NS(sent=9, bounced=1, failed=0, skipped=2, unknown=1, retried=3)
_SUBSCRIBER = NS(email="ayse@firma.example.com", name=ODD, unsubscribed_at=None, bounced_at=None,
                 consent_source="uyeler.csv", consent_at=WHEN)
_PROBLEMS = [NS(line=3, code="invalid_email", value=ODD),
             NS(line=4, code="unknown_cluster", value="x"),
             NS(line=1, code="no_email_column", value=""),
             NS(line=None, code="empty_file", value=""),
             NS(line=None, code="unreadable", value="")]
MACRO_SAMPLES["cli/mail.j2"] = {
    "sent": [{"report": _MAIL_REPORT, "waiting": {"pending": 4}},
             {"report": NS(sent=0, bounced=0, failed=0, skipped=0, unknown=0, retried=0),
              "waiting": {}}],
    "halted": [{"code": c, "reason": "535 5.7.8 invalid", "host": "smtp.example.org", "port": 587}
               for c in ("unreachable", "no_secret", "refused")],
}
MACRO_SAMPLES["cli/subscribers.j2"] = {
    "problem": [{"p": p} for p in _PROBLEMS],
    "imported": one(report=NS(added=2, merged=1), problems=_PROBLEMS, total=3),
    "refused": one(problems=_PROBLEMS),
    "nothing_imported": one(problems=_PROBLEMS),
    "state": [{"name": n} for n in ("active", "unsubscribed", "bounced")],
    "listing": one(rows=[(_SUBSCRIBER, ["organik-gida"]), (_SUBSCRIBER, [])]),
    "removed": one(email="ayse@firma.example.com"),
    "not_found": one(email="ayse@firma.example.com"),
    "exported": one(count=3, path="abone.csv"),
}


# Bulletins (tracker.bulletins): a draft with every section, and an empty one.
def _bulletin_drafts() -> list[Any]:
    from tracker.bulletins import draft as b
    from tracker.bulletins.period import Period

    full = b.BulletinDraft(
        period=Period(2014, 1), more_actions=3,
        actions=(b.ActionNews("E1.2.4", ODD, ODD, "completed", 100, 40, ODD),
                 b.ActionNews("E1.1.1", ODD, ODD, "in_progress", 60, None, "")),
        held=(b.HeldEvent(ODD, WHEN, ODD, 12, 9, Decimal("4.5"), 8),
              b.HeldEvent(ODD, WHEN, None, 0, None, None, None)),
        upcoming=(b.UpcomingEvent(ODD, WHEN, ODD, False), b.UpcomingEvent(ODD, WHEN, None, True)),
        highlights=(b.Highlight("G01", ODD, ODD, "firma", Decimal(40), Decimal(50), "2013Q4",
                                "2014Q1"),
                    b.Highlight("G02", ODD, ODD, "%", Decimal(0), Decimal(5), "2013Q4",
                                "2014Q1")),
        growth=(b.Growth(ODD, 3, 5, 2, 0), b.Growth(ODD, 5, 5, 0, 0)),
        news=(b.NewsItem(1, ODD, ODD, "https://x.example/?a=1&b=2", "file-id", ODD,
                         "https://x.example/a.jpg"),
              b.NewsItem(2, ODD, "", None, None, None)))
    return [full, b.BulletinDraft(period=Period(2014, 1, 3))]


SAMPLES["bulletins/email.j2"] = [
    {"d": d, "unsubscribe_url": "https://x.example/abonelik/iptal/abc"}
    for d in _bulletin_drafts()]
SAMPLES["bulletins/text.j2"] = SAMPLES["bulletins/email.j2"]
MACRO_SAMPLES["bulletins/telegram.j2"] = {
    m: [{"d": d} for d in _bulletin_drafts()]
    for m in ("header", "news", "actions", "held", "upcoming", "highlights", "growth", "footer")}
MACRO_SAMPLES["bulletins/words.j2"] = {
    "period_label": [{"period": d.period} for d in _bulletin_drafts()],
    "title": [{"period": d.period} for d in _bulletin_drafts()],
    "heading": [{"section": s} for s in ("news", "actions", "held", "upcoming", "highlights",
                                          "growth")],
    "status": [{"value": s} for s in ("completed", "in_progress", "delayed", "not_started",
                                      "cancelled")],
    "more_actions": one(count=4),
}
MACRO_SAMPLES["texts/bulletins.j2"] = {
    "bulletin_period": one(text=ODD),
    "bulletin_sent": one(period="2014Q1"),
    "bulletin_items_full": one(limit=20),
    "bulletin_schedule_past": one(moment=WHEN),
    "bulletin_not_found": one(period="2014Q1"),
}


def _bulletin_step(name: str, **extra: Any) -> dict[str, Any]:
    from tracker.bulletins.period import Period
    from tracker.dialogs.bulletin import BulletinAnswers
    from tracker.models import Bulletin

    bulletin = Bulletin(period="2014Q1", status="scheduled", scheduled_at=WHEN)
    answers = BulletinAnswers(bulletin_id=1, title=ODD, notice=extra.pop("notice", None),
                              notice_email=extra.pop("notice_email", None))
    return {"name": name, "bulletin": bulletin, "period": Period(2014, 1),
            "answers": answers, **extra}


def _bulletin_steps() -> list[dict[str, Any]]:
    from tracker.bulletins.render import telegram_parts
    from tracker.bulletins.send import Delivery
    from tracker.models import BulletinItem

    full, empty = _bulletin_drafts()
    items = [BulletinItem(id=1, bulletin_id=1, title=ODD), BulletinItem(id=2, bulletin_id=1,
                                                                      title="İkinci")]
    who = Delivery(telegram=120, email=3000, parts=2, mail_disabled=True)
    return [
        {"name": "period"},
        *[_bulletin_step("menu", draft=d, notice=n, notice_email=ODD)
          for d in (full, empty) for n in (None, "added", "tested", "scheduled", "unscheduled")],
        _bulletin_step("menu", draft=empty, resumed=True, error=ODD),
        *[_bulletin_step(n) for n in ("title", "text", "link", "photo", "schedule",
                                       "already_sent", "closed")],
        _bulletin_step("items", items=items),
        _bulletin_step("preview", parts=telegram_parts(full)[:1]),
        _bulletin_step("confirm", audience=who),
        _bulletin_step("sent", delivery=who),
    ]


SAMPLES["messages/bulletin.j2"] = [lambda real: _bulletin_steps()]
MACRO_SAMPLES["texts/buttons.j2"].update({
    "bulletin_period": [{"period": d.period} for d in _bulletin_drafts()],
    "bulletin_items": one(count=3),
    "bulletin_up": one(number=2),
    "bulletin_remove": one(number=2),
})


def _cli_bulletin() -> list[dict[str, Any]]:
    from pathlib import Path as P

    from tracker.bulletins.period import Period
    from tracker.bulletins.send import Delivery
    from tracker.models import Bulletin

    period, who = Period(2014, 1), Delivery(telegram=120, email=3000, parts=2, mail_disabled=True)
    rows = [(Bulletin(period="2014Q2", status="scheduled", scheduled_at=WHEN), 2),
            (Bulletin(period="2014-03", status="sent", sent_at=WHEN), 0)]
    return [{"name": "preview", "out": P("/tmp/x"), "files": ["bulten.html"], "parts": 2},
            {"name": "audience", "period": period, "audience": who, "at": WHEN},
            {"name": "audience", "period": period, "audience": who, "at": None},
            {"name": "confirm"}, {"name": "not_sent"},
            {"name": "scheduled", "period": period, "at": WHEN},
            {"name": "sent", "period": period, "delivery": who},
            {"name": "list", "rows": rows}, {"name": "list", "rows": []}]


SAMPLES["cli/bulletin.j2"] = [lambda real: _cli_bulletin()]


# -- discovery --------------------------------------------------------------------------------


def all_templates() -> list[str]:
    return sorted(p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.j2"))


def is_macro_file(name: str) -> bool:
    """Only macros, imports, values the macros share and blank text at the top level: nothing
    to render as a whole."""
    body = texts._env_for(name).parse((ROOT / name).read_text(encoding="utf-8")).body
    for node in body:
        if isinstance(node, nodes.Macro | nodes.Import | nodes.FromImport | nodes.Assign):
            continue
        if isinstance(node, nodes.Output) and all(
            isinstance(part, nodes.TemplateData) and not part.data.strip() for part in node.nodes
        ):
            continue
        return False
    return True


def macros_of(name: str) -> dict[str, Macro]:
    module = texts._env_for(name).get_template(name).module
    return {key: value for key, value in vars(module).items() if isinstance(value, Macro)}


def branch_names(name: str) -> set[str]:
    """The `name` values a dispatching template tests for."""
    source = (ROOT / name).read_text(encoding="utf-8")
    found = set(re.findall(r'\bname\s*==\s*"(\w+)"', source))
    for group in re.findall(r"\bname\s+in\s+\(([^)]*)\)", source):
        found.update(re.findall(r'"(\w+)"', group))
    return found


@pytest.fixture(scope="module")
def real(_bundled_sqlite_template: Path) -> NS:
    """Plan tree, organisations and indicators of the bundled plan (read only)."""
    engine = create_db_engine(f"sqlite:///{_bundled_sqlite_template}")
    try:
        with Session(engine) as session:
            tree = plan_tree(session, resolve_plan(session))
            organisations = list_organisations(session)
            indicators = list(
                session.exec(select(Indicator).order_by(col(Indicator.position))).all()
            )
            session.expunge_all()
    finally:
        engine.dispose()
    return NS(tree=tree, organisations=organisations, indicators=indicators)


def resolved(samples: list[Sample], real: NS) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for sample in samples:
        made = sample(real) if callable(sample) else sample
        cases.extend(made if isinstance(made, list) else [made])
    return cases


# -- tests ------------------------------------------------------------------------------------


def test_every_template_has_samples():
    templates = all_templates()
    macro_files = {t for t in templates if is_macro_file(t)}
    whole = set(templates) - macro_files
    assert sorted(whole - set(SAMPLES)) == [], "add SAMPLES for these templates"
    assert sorted(macro_files - set(MACRO_SAMPLES)) == [], "add MACRO_SAMPLES for these"
    assert sorted(set(SAMPLES) - whole) == [], "SAMPLES for templates that are gone or macro-only"
    assert sorted(set(MACRO_SAMPLES) - macro_files) == [], "MACRO_SAMPLES for non-macro files"


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_template_renders_every_sample(name, real):
    cases = resolved(SAMPLES[name], real)
    assert cases
    for number, params in enumerate(cases):
        where = f"{name} sample {number}"
        text = texts.render(name, **params)
        assert text.strip(), f"{where}: empty"
        assert "None" not in text, f"{where}: a missing value shows as None:\n{text}"
        if name.startswith("messages/"):
            try:
                plain, _ = parse_html(text)
            except EntityParseError as err:
                pytest.fail(f"{where}: Telegram would refuse this HTML ({err}):\n{text}")
            assert len(plain) <= 4096, f"{where}: longer than one Telegram message"
            assert "<script>" not in text, f"{where}: user text not escaped"


@pytest.mark.parametrize("name", sorted(n for n in SAMPLES if branch_names(n)))
def test_every_branch_of_a_dispatching_template_is_sampled(name, real):
    sampled = {params.get("name") for params in resolved(SAMPLES[name], real)}
    assert sorted(branch_names(name) - sampled) == []


def test_every_macro_with_arguments_has_samples():
    missing, unknown = [], []
    for name, samples in MACRO_SAMPLES.items():
        macros = macros_of(name)
        missing += [f"{name}:{m}" for m, fn in macros.items() if fn.arguments and m not in samples]
        unknown += [f"{name}:{m}" for m in samples if m not in macros]
    assert missing == [], "add MACRO_SAMPLES for these macros"
    assert unknown == [], "MACRO_SAMPLES for macros that are gone"


@pytest.mark.parametrize("name", sorted(MACRO_SAMPLES))
def test_every_macro_renders(name):
    for macro, fn in sorted(macros_of(name).items()):
        cases = MACRO_SAMPLES[name].get(macro, [{}])
        for number, kwargs in enumerate(cases):
            where = f"{name}:{macro} sample {number}"
            assert set(kwargs) == set(fn.arguments), f"{where}: arguments are {fn.arguments}"
            text = texts.say(name, macro, **kwargs)
            assert "None" not in text, f"{where}: {text!r}"
            if name.startswith("messages/"):
                try:
                    parse_html(text)
                except EntityParseError as err:
                    pytest.fail(f"{where}: Telegram would refuse this HTML ({err}):\n{text}")
            if number == 0 and macro != "unit_note":  # unit_note is empty for "%" and ""
                assert text, f"{where}: empty"


def test_a_message_escapes_what_it_is_given():
    """The premise of the HTML check above: messages/ escape, texts/ and cli/ do not."""
    assert texts.render("messages/refusal.j2", reason="<b>&") == "⛔ &lt;b&gt;&amp;"
    assert texts.render("cli/error.j2", message="<b>&") == "Hata: <b>&"
    when = datetime(2014, 1, 1, tzinfo=UTC)
    assert "1 Ocak 2014" in texts.render(
        "messages/reopened.j2", organisation=ORG, quarter=Q, until=when
    )
