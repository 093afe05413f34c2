"""Who may do what, through real HTTP: every role against every command, command menus,
forged button data, and reporting on another organisation's action."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, func, select

from tests.e2e.conftest import ADMIN_ID, BotEnv
from tracker.access import commands_for
from tracker.db import session_scope
from tracker.models import (
    Action,
    Dialog,
    IndicatorValue,
    Invite,
    Organisation,
    Person,
    Role,
    StatusUpdate,
)
from tracker.planfile import import_plan

# Who each role is; None: the configured admin, who needs no invite.
PEOPLE: dict[str, tuple[str, Role] | None] = {
    "admin": None,
    "agency": ("İZKA", Role.AGENCY),
    "reporter": ("EBSO", Role.REPORTER),
    "cluster reporter": ("KY Organik Gıda", Role.REPORTER),
    "secretary": ("Kümelenme Komitesi", Role.SECRETARY),
    "member": ("KY Organik Gıda", Role.MEMBER),
    "unregistered": None,
}
COMMANDS = [
    "/start", "/yardim", "/iptal", "/davet", "/foo", "/gosterge", "/durum", "/ertele", "/degil"
]
COMMANDS.append("/yoklama")
COMMANDS += ["/etkinlik", "/etkinlikler"]  # events (tracker.events)
COMMANDS += ["/duyuru", "/bagla", "/ayir"]  # notices, a cluster's groups and channels
COMMANDS.append("/bulten")  # e-bulletins (tracker.bulletins)
# A member's own commands (/verilerim last: it answers with a file after its message).
COMMANDS += ["/abone", "/sil", "/dur", "/verilerim"]
MEMBER_ONLY = {"/abone", "/sil", "/dur", "/verilerim"}

UNREGISTERED = "Merhaba! Ben kume, İzmir Kalkınma Ajansı'nın kümelenme stratejisi"
NO_DIALOG = "Şu anda yarım kalan bir işlem yok."
UNKNOWN = "“/foo” komutunu tanımıyorum."
HELP = "kume yardım · "
BACK = "Tekrar hoş geldiniz"
STATUS_PICK = "2014 1. Çeyrek durum bildirimi"
FIGURES_PICK = "2014 1. Çeyrek gösterge girişi"
FIGURES_CLUSTER = "İzmir Organik Gıda Kümesi · 2014 1. Çeyrek göstergeleri"
INVITE_USAGE = "Davet bağlantısı oluşturma"
FIGURES_REFUSED = "⛔ Gösterge değerlerini küme yönetimleri ve ajans girer;"
SNOOZE_USAGE = "Hatırlatmayı erteleme"
NOT_OURS_USAGE = "Sorumlu olmadığınız eylemi bildirme"
NEW_EVENT = "Yeni etkinlik duyurusu"
EVENTS = "Etkinlikler"
ATTENDANCE_USAGE = "Etkinlik yoklaması"
NOTICE_TEXT = "📣 Duyuru\n"
LINK_USAGE = "Bir grubu bağlamak için beni gruba ekleyip"
UNLINK_USAGE = "Kullanım: grupta /ayir"


def refused(command: str) -> str:
    return f"⛔ /{command} komutu sizin rolünüz için açık değil."


def member_commands_refused() -> dict[str, str]:
    return {command: refused(command[1:]) for command in MEMBER_ONLY}


# role -> command -> the start of the first reply. Refusals are marked by "⛔".
TABLE: dict[str, dict[str, str]] = {
    "admin": {
        "/start": BACK,
        "/yardim": HELP,
        "/iptal": NO_DIALOG,
        "/davet": INVITE_USAGE,
        "/foo": UNKNOWN,
        "/gosterge": FIGURES_PICK,
        "/durum": STATUS_PICK,
        "/ertele": SNOOZE_USAGE,
        "/degil": NOT_OURS_USAGE,
        **member_commands_refused(),
        "/etkinlik": NEW_EVENT,
        "/etkinlikler": EVENTS,
        "/yoklama": ATTENDANCE_USAGE,
        "/duyuru": NOTICE_TEXT,
        "/bagla": LINK_USAGE,
        "/ayir": UNLINK_USAGE,
    },
    "agency": {
        "/start": BACK,
        "/yardim": HELP,
        "/iptal": NO_DIALOG,
        "/davet": INVITE_USAGE,
        "/foo": UNKNOWN,
        "/gosterge": FIGURES_PICK,
        "/durum": STATUS_PICK,
        "/ertele": SNOOZE_USAGE,
        "/degil": NOT_OURS_USAGE,
        **member_commands_refused(),
        "/etkinlik": NEW_EVENT,
        "/etkinlikler": EVENTS,
        "/yoklama": ATTENDANCE_USAGE,
        "/duyuru": NOTICE_TEXT,
        "/bagla": refused("bagla"),
        "/ayir": refused("ayir"),
    },
    "reporter": {
        "/start": BACK,
        "/yardim": HELP,
        "/iptal": NO_DIALOG,
        "/davet": refused("davet"),
        "/foo": UNKNOWN,
        "/gosterge": FIGURES_REFUSED,
        "/durum": STATUS_PICK,
        "/ertele": SNOOZE_USAGE,
        "/degil": NOT_OURS_USAGE,
        **member_commands_refused(),
        "/etkinlik": refused("etkinlik"),
        "/etkinlikler": refused("etkinlikler"),
        "/yoklama": refused("yoklama"),
        "/duyuru": refused("duyuru"),
        "/bagla": refused("bagla"),
        "/ayir": refused("ayir"),
    },
    "cluster reporter": {
        "/start": BACK,
        "/yardim": HELP,
        "/iptal": NO_DIALOG,
        "/davet": refused("davet"),
        "/foo": UNKNOWN,
        "/gosterge": FIGURES_CLUSTER,
        "/durum": STATUS_PICK,
        "/ertele": SNOOZE_USAGE,
        "/degil": NOT_OURS_USAGE,
        **member_commands_refused(),
        "/etkinlik": refused("etkinlik"),
        "/etkinlikler": refused("etkinlikler"),
        "/yoklama": refused("yoklama"),
        "/duyuru": refused("duyuru"),
        "/bagla": refused("bagla"),
        "/ayir": refused("ayir"),
    },
    "secretary": {
        "/start": BACK,
        "/yardim": HELP,
        "/iptal": NO_DIALOG,
        "/davet": INVITE_USAGE,
        "/foo": UNKNOWN,
        "/gosterge": refused("gosterge"),
        "/durum": STATUS_PICK,
        "/ertele": SNOOZE_USAGE,
        "/degil": NOT_OURS_USAGE,
        **member_commands_refused(),
        "/etkinlik": NEW_EVENT,
        "/etkinlikler": EVENTS,
        "/yoklama": ATTENDANCE_USAGE,
        "/duyuru": NOTICE_TEXT,
        "/bagla": refused("bagla"),
        "/ayir": refused("ayir"),
    },
    "member": {
        "/start": BACK,
        "/yardim": HELP,
        "/iptal": NO_DIALOG,
        "/davet": refused("davet"),
        "/foo": UNKNOWN,
        "/gosterge": refused("gosterge"),
        "/durum": refused("durum"),
        "/ertele": refused("ertele"),
        "/degil": refused("degil"),
        "/abone": "Abonelikleriniz",
        "/sil": "Kaydınız silinsin mi?",
        "/dur": "⏸ Tamam, tüm bildirimler durduruldu",
        "/verilerim": "Hakkınızda saklananlar",
        "/etkinlik": refused("etkinlik"),
        "/etkinlikler": refused("etkinlikler"),
        "/yoklama": refused("yoklama"),
        "/duyuru": refused("duyuru"),
        "/bagla": refused("bagla"),
        "/ayir": refused("ayir"),
    },
    "unregistered": dict.fromkeys(COMMANDS, UNREGISTERED),
}
for _who in ("admin", "agency"):
    TABLE[_who]["/bulten"] = "Hangi dönemin bültenini hazırlayalım?"
for _who in ("reporter", "cluster reporter", "secretary", "member"):
    TABLE[_who]["/bulten"] = refused("bulten")


def counts(engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            model.__name__: session.exec(select(func.count()).select_from(model)).one()
            for model in (Person, Invite, Dialog, StatusUpdate, IndicatorValue)
        }


def dialog_states(engine) -> list[tuple]:
    """What a refused press must not change (last_update_id may: the update was seen)."""
    with Session(engine) as session:
        return [
            (d.id, d.person_id, d.subject, d.status, d.step, d.revision, d.data)
            for d in session.exec(select(Dialog).order_by(Dialog.id))
        ]


def menu(user) -> list[str]:
    return [c["command"] for c in user.commands]


def buttons(message: dict) -> list[str]:
    markup = message.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def expected_menu(env: BotEnv, user_id: int) -> list[str]:
    with Session(env.engine) as session:
        person = session.exec(select(Person).where(Person.telegram_user_id == user_id)).first()
        kind = session.get(Organisation, person.organisation_id).kind if person else None
        return commands_for(person, kind)


async def join(env: BotEnv, user_id: int, organisation: str, role: Role, name: str = "Ayşe"):
    """BotEnv.register without its settling pause: the welcome is the one reply."""
    user = env.api.user(user_id, first_name=name)
    await user.send(f"/start {env.invite(organisation, role)}")
    assert "olarak kayıtlısınız" in (await user.next_message())["text"]
    return user


async def join_member(env: BotEnv, user_id: int):
    """A member: the information notice accepted, the firm question skipped."""
    user = env.api.user(user_id, first_name="Ayşe")
    await user.send(f"/start {env.invite('KY Organik Gıda', Role.MEMBER)}")
    await user.press(await user.next_message(), "✅ Kabul ediyorum")
    assert "Onayınız kaydedildi" in (await user.next_message())["text"]
    await user.press(await user.next_message(), "Atla")
    await user.next_message()
    return user


async def person_of(env: BotEnv, who: str, user_id: int = 1001):
    if who == "admin":
        user = env.api.user(ADMIN_ID, first_name="Zeynep")
        await user.send("/start")
        await user.next_message()
        return user
    if who == "unregistered":
        return env.api.user(user_id, first_name="Yabancı")
    if who == "member":
        return await join_member(env, user_id)
    organisation, role = PEOPLE[who]  # type: ignore[misc]
    return await join(env, user_id, organisation, role)


async def test_every_role_against_every_command(bot_env):
    # What run_polling does after initialize (the e2e harness starts the parts by hand): the
    # bot-wide menu of a chat that has none of its own.
    await bot_env.app.post_init(bot_env.app)
    wrong = []
    for user_id, who in enumerate(TABLE, start=1001):
        user = await person_of(bot_env, who, user_id)
        assert menu(user) == expected_menu(bot_env, user.id), who
        if who == "unregistered":
            assert menu(user) == commands_for(None) == ["yardim"]
        for command in COMMANDS:
            before, dialogs_before = counts(bot_env.engine), dialog_states(bot_env.engine)
            await user.send(command)
            first = await user.next_message()  # each of these commands answers in one message
            expected = TABLE[who][command]
            if not first["text"].startswith(expected):
                wrong.append(f"{who} {command}: expected {expected!r}, got {first['text'][:90]!r}")
            if expected.startswith("⛔") or expected == UNREGISTERED:
                if buttons(first):
                    wrong.append(f"{who} {command}: refused, but offered buttons")
                if counts(bot_env.engine) != before:
                    wrong.append(f"{who} {command}: refused, but the database changed")
                if dialog_states(bot_env.engine) != dialogs_before:
                    wrong.append(f"{who} {command}: refused, but a dialog changed")
            # Only /start and /yardim set the menu; it always matches the role.
            if menu(user) != expected_menu(bot_env, user.id):
                wrong.append(f"{who} {command}: the menu is {menu(user)}")
    assert not wrong, "\n".join(wrong)


def _import_izto_only_plan(env: BotEnv, tmp_path: Path) -> None:
    """A second plan with one action only İZTO answers for (the bundled plan has none:
    wherever İZTO is named, EBSO is too)."""
    path = tmp_path / "izto.csv"
    path.write_text(
        "tablo,kod,başlık,başlangıç,bitiş,öncelik,hedef,sorumlular,çeyrekler\n"
        "Plan,TEST-IZTO,İZTO deneme planı,2014Q1,2014Q4,,,,\n"
        "Öncelikler,T1,Ticaret,,,,,,\n"
        "Hedefler,T1.1,Fuarlar,,,T1,,,\n"
        "Eylemler,T1.1.1,Fuar katılım desteği,,,,T1.1,İZTO,2014-Ç1 – 2014-Ç4\n",
        encoding="utf-8",
    )
    with session_scope(env.engine) as session:
        import_plan(session, path)


async def test_a_reporter_cannot_report_on_another_organisations_action(bot_env, tmp_path):
    _import_izto_only_plan(bot_env, tmp_path)
    izto = await join(bot_env, 1002, "İZTO", Role.REPORTER, name="Ali")
    await izto.send("/durum T1.1.1")  # the control: İZTO may
    assert "<b>T1.1.1</b>" in (await izto.next_message())["raw_text"]
    await izto.send("/iptal")
    await izto.next_message()

    ebso = await join(bot_env, 1001, "EBSO", Role.REPORTER)
    await ebso.send("/durum")
    pick = await ebso.next_message()
    labels = [label.split(" · ")[0] for label in buttons(pick)]
    assert "T1.1.1" not in labels and "E1.1.1" not in labels
    before, dialogs_before = counts(bot_env.engine), dialog_states(bot_env.engine)

    # Typed, for İZTO's action and for one of İZKA and the cluster managements.
    for code in ("T1.1.1", "E1.1.1", "e1.1.1", "E9.9.9"):
        await ebso.send(f"/durum {code}")
        reply = await ebso.next_message()
        assert reply["text"].startswith(f"⛔ {code} eylemi 2014 1. Çeyrek için sizin"), reply
    # As a button kume never offered them.
    await ebso.press_raw(pick["message_id"], "c:durum T1.1.1")
    assert (await ebso.wait_answer())["text"].startswith("T1.1.1 eylemi 2014 1. Çeyrek için")
    assert (await ebso.next_message())["text"].startswith("⛔ T1.1.1 eylemi")
    # As a forged choice on their own, current pick question.
    with Session(bot_env.engine) as session:
        dialog = session.exec(select(Dialog).where(Dialog.step == "pick")).one()
        foreign = session.exec(select(Action).where(Action.code == "T1.1.1")).one()
    await ebso.press_raw(pick["message_id"], f"d:{dialog.id}:{dialog.revision}:a{foreign.id}")
    again = await ebso.next_message()
    assert again["text"].startswith("⚠️ Lütfen listeden bir eylem seçin.")
    assert "T1.1.1" not in " ".join(buttons(again))

    assert counts(bot_env.engine) == before
    assert dialog_states(bot_env.engine) == dialogs_before


# What a pressed button may claim, and whether the notice is an alert.
FORGED = {
    "another person's dialog": "theirs",
    "a stale revision": "stale",
    "a dialog that does not exist": "d:999999:1:ns",
    "not a number": "d:abc",
    "unknown prefix": "x:1",
    "more than 64 bytes": "d:1:1:" + "ş" * 40,
    "an action not theirs": "c:durum E9.9.9",
    "a command for admins": "c:davet",
    "a command with symbols": "c:durum;drop",
    "empty choice": "d:1:1:",
}


async def test_forged_button_data_is_refused_and_changes_nothing(bot_env):
    owner = await join(bot_env, 1001, "EBSO", Role.REPORTER)
    await owner.send("/durum")
    pick = await owner.next_message()
    await owner.press(pick, buttons(pick)[0])
    status = await owner.next_message()
    other = await join(bot_env, 1002, "İZTO", Role.REPORTER, name="Ali")
    await other.send("/durum")
    await other.next_message()
    with Session(bot_env.engine) as session:
        mine = session.exec(select(Dialog).where(Dialog.step == "status")).one()
        theirs = session.exec(select(Dialog).where(Dialog.step == "pick")).one()
    before, dialogs_before = counts(bot_env.engine), dialog_states(bot_env.engine)
    real = {
        "theirs": f"d:{theirs.id}:{theirs.revision}:a1",
        "stale": f"d:{mine.id}:{mine.revision - 1}:ip",
    }

    for case, data in FORGED.items():
        await owner.press_raw(status["message_id"], real.get(data, data))
        answer = await owner.wait_answer()
        if case == "an action not theirs":
            assert answer["text"].startswith("E9.9.9 eylemi 2014 1. Çeyrek için sizin"), case
            assert answer["show_alert"], case
            refusal = await owner.next_message()
            assert refusal["text"].startswith("⛔ E9.9.9 eylemi"), case
        elif case == "a stale revision":
            assert answer["text"] == "Bu düğme artık geçerli değil.", case
            await owner.assert_no_reply(within=0.05)  # the question is on screen already
        else:
            assert answer["text"] == "Bu düğme artık geçerli değil.", case
            assert answer["show_alert"], case
            await owner.assert_no_reply(within=0.05)
        assert counts(bot_env.engine) == before, case
        assert dialog_states(bot_env.engine) == dialogs_before, case

    # The dialog is where it was: asked again, its real button works.
    await owner.send("/yardim")
    await owner.next_message()
    question = await owner.next_message()
    assert "Bu çeyrekte eylemin durumu nedir?" in question["text"]
    await owner.press(question, "Devam ediyor")
    assert "yüzde kaç" in (await owner.next_message())["text"]


async def test_html_typed_by_people_reaches_telegram_escaped(bot_env):
    """The stand-in answers invalid HTML with 400: every reply arriving proves the escaping."""
    user = await join(bot_env, 1001, "EBSO", Role.REPORTER, name="<b>Ayşe</b> & Co")
    await user.send("/start")
    back = await user.next_message()
    assert back["text"].startswith("Tekrar hoş geldiniz, <b>Ayşe</b> & Co!")
    assert "&lt;b&gt;Ayşe&lt;/b&gt; &amp; Co" in back["raw_text"]

    await user.send("/durum <i>E1.2.3</i>")
    refusal = await user.next_message()
    assert refusal["text"].startswith("⛔ <i>E1.2.3</i> eylemi")

    await user.send("/durum E1.2.3")
    status = await user.next_message()
    await user.press(status, "Devam ediyor")
    await user.next_message()
    await user.send("<script>alert(1)</script>")
    assert (
        "“<script>alert(1)</script>” bir sayı olarak okunamadı"
        in (await user.next_message())["text"]
    )
    await user.send("%30")
    await user.next_message()
    narrative = "Toplantı <a href='x'>tıkla</a> & <tg-spoiler>gizli</tg-spoiler> &amp;"
    await user.send(narrative)
    evidence = await user.next_message()
    await user.press(evidence, "Kanıt eklemeden geç")
    summary = await user.next_message()
    assert f"Yapılanlar: {narrative}" in summary["text"]
    assert "entities" not in summary or all(
        e["type"] in ("bold", "italic") for e in summary["entities"]
    )
    await user.press(summary, "✅ Onayla")
    await user.next_message()
    with Session(bot_env.engine) as session:
        assert session.exec(select(StatusUpdate.narrative)).one() == narrative

    admin = await person_of(bot_env, "admin")
    await admin.send("/davet <b>Yok</b> & Co sorumlu")
    assert (await admin.next_message())["text"] == (
        "⛔ “<b>Yok</b> & Co” adlı kuruluş yok. “kume orgs list” kayıtlı kuruluşları gösterir."
    )
