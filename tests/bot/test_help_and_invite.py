"""/yardim lists exactly the person's commands; /davet makes working links, for admins only."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from tests.bot.conftest import ADMIN_ID, Harness, menu, texts_of
from tracker.access import commands_for
from tracker.models import Invite, Organisation, Role

# (organisation, role) per kind of person; the admin comes from the configuration.
PEOPLE = {
    "admin": None,
    "agency": ("İZKA", Role.AGENCY),
    "reporter": ("EBSO", Role.REPORTER),
    "cluster reporter": ("KY Organik Gıda", Role.REPORTER),
    "secretary": ("Kümelenme Komitesi", Role.SECRETARY),
    "member": ("KY Organik Gıda", Role.MEMBER),
}
LISTED = re.compile(r"^/(\w+) — ", re.MULTILINE)


async def person_of(harness: Harness, who: str, user_id: int = 1001):
    if PEOPLE[who] is None:
        user = harness.user(ADMIN_ID, "Zeynep")
        await harness.send(user, "/start")
        return user
    organisation, role = PEOPLE[who]
    if role == Role.MEMBER:
        return await join_member(harness, user_id)
    return await harness.register(user_id, organisation, role)


async def join_member(harness: Harness, user_id: int, name: str = "Ayşe"):
    """Consent first: the notice accepted, the firm question skipped."""
    user = harness.user(user_id, name)
    token = harness.invite("KY Organik Gıda", Role.MEMBER)
    (notice,) = await harness.send(user, f"/start {token}")
    welcome, firm = await harness.press(user, notice, "✅ Kabul ediyorum")
    await harness.press(user, firm, "Atla")
    return user


def expected_commands(harness: Harness, user_id: int) -> list[str]:
    person = harness.person(user_id)
    with Session(harness.engine) as session:
        organisation = (
            session.get(Organisation, person.organisation_id) if person.organisation_id else None
        )
        return commands_for(person, organisation.kind if organisation else None)


async def test_help_lists_exactly_the_commands_of_the_role(harness):
    for user_id, who in enumerate(PEOPLE, start=1001):
        user = await person_of(harness, who, user_id)
        replies = await harness.send(user, "/yardim")
        assert len(replies) == 1, who
        text = replies[0]["text"]
        wanted = expected_commands(harness, user.id)
        assert LISTED.findall(text) == wanted, who
        assert menu(user) == wanted, who
        assert text.startswith("kume yardım · "), who
        assert ("Her çeyrek bittikten sonra" in text) == ("durum" in wanted), who
        if who == "cluster reporter":
            assert "gosterge" in wanted
        if who == "reporter":
            assert "gosterge" not in wanted and "davet" not in wanted
        if who == "member":
            assert "durum" not in wanted


# Every command each role may use, typed or behind a button, in the order /yardim lists them.
EVERY_COMMAND = {
    "admin": ["durum", "gosterge", "ertele", "degil", "rapor", "etkinlik", "etkinlikler",
              "yoklama", "kilit", "duyuru", "davet", "bagla", "ayir", "iptal", "yardim"],
    "agency": ["durum", "gosterge", "ertele", "degil", "rapor", "etkinlik", "etkinlikler",
               "yoklama", "kilit", "duyuru", "davet", "iptal", "yardim"],
    "reporter": ["durum", "ertele", "degil", "iptal", "yardim"],
    "cluster reporter": ["durum", "gosterge", "ertele", "degil", "iptal", "yardim"],
    "secretary": ["durum", "ertele", "degil", "etkinlik", "etkinlikler", "yoklama", "duyuru",
                  "davet", "iptal", "yardim"],
    "member": ["abone", "dur", "verilerim", "sil", "iptal", "yardim"],
}
for _who in ("admin", "agency"):  # /bulten after /yoklama (tracker.access.COMMAND_ORDER)
    EVERY_COMMAND[_who].insert(EVERY_COMMAND[_who].index("yoklama") + 1, "bulten")
DESCRIBED = re.compile(r"^/(\w+) — \S.{10,}$", re.MULTILINE)


async def test_help_lists_every_command_a_role_may_use_with_a_description(harness):
    for user_id, who in enumerate(PEOPLE, start=1001):
        user = await person_of(harness, who, user_id)
        (reply,) = await harness.send(user, "/yardim")
        assert DESCRIBED.findall(reply["text"]) == EVERY_COMMAND[who], who


MEMBER_NOTE = "Kümenizin etkinlik duyurularını ve bültenlerini bu sohbetten alacaksınız."


async def test_a_member_is_told_what_kume_gives_members(harness):
    member = await join_member(harness, 1001, "Ece")
    (welcome,) = await harness.send(member, "/start")
    assert MEMBER_NOTE in welcome["text"]
    (help_text,) = await harness.send(member, "/yardim")
    assert MEMBER_NOTE in help_text["text"]
    assert "/abone ile seçebilir" in help_text["text"]
    reporter = await person_of(harness, "reporter", 1002)
    (other,) = await harness.send(reporter, "/yardim")
    assert MEMBER_NOTE not in other["text"]


USAGE = {
    "/ertele": ["<b>Hatırlatmayı erteleme</b>", "/ertele &lt;çeyrek&gt;", "Örnek: /ertele 2014Q1"],
    "/degil": [
        "<b>Sorumlu olmadığınız eylemi bildirme</b>",
        "/degil &lt;çeyrek&gt; [eylem kodu]",
        "Örnek: /degil 2014Q1 E1.2.3",
    ],
}


async def test_ertele_and_degil_without_a_good_quarter_explain_themselves(harness):
    user = await person_of(harness, "reporter")
    before = harness.counts()
    for command, lines in USAGE.items():
        for typed, error in [
            (command, None),
            (f"{command} 2014Q5", "⚠️ “2014Q5” geçerli bir çeyrek değil."),
            (f"{command} <b>yarın</b>", "⚠️ “<b>yarın</b>” geçerli bir çeyrek değil."),
        ]:
            (reply,) = await harness.send(user, typed)
            for line in lines:
                assert line in reply["raw_text"], typed
            if error is None:
                assert "⚠️" not in reply["text"] and "boş olamaz" not in reply["text"], typed
            else:
                assert reply["text"].startswith(error), typed
            assert harness.counts() == before, typed


async def test_help_in_a_dialog_keeps_it_and_asks_the_question_again(harness):
    user = await harness.register(1001, "EBSO", Role.REPORTER)
    pick = (await harness.send(user, "/durum"))[0]
    before = harness.dialogs()
    replies = await harness.send(user, "/yardim")
    assert len(replies) == 2
    assert "Yarım kalan işleminiz duruyor" in replies[0]["text"]
    assert replies[1]["text"] == pick["text"]
    assert harness.dialogs() == before


async def test_an_admin_creates_a_link_that_registers_the_next_person(harness):
    admin = await person_of(harness, "admin")
    replies = await harness.send(admin, "/davet KY Organik Gıda sorumlu")
    assert len(replies) == 1
    text = replies[0]["text"]
    assert text.startswith("Davet hazır: KY Organik Gıda · kuruluş sorumlusu")
    link = re.search(r"https://t\.me/kume_bot\?start=([A-Za-z0-9_-]+)", text)
    assert link is not None, text
    with Session(harness.engine) as session:
        invite = session.exec(select(Invite).where(Invite.token == link.group(1))).one()
        assert invite.created_by_id == harness.person(ADMIN_ID).id
        assert invite.role == Role.REPORTER and invite.uses == 0

    newcomer = harness.user(2002, "Can")
    welcome = await harness.send(newcomer, f"/start {link.group(1)}")
    assert "İzmir Organik Gıda Kümesi Yönetimi adına kuruluş sorumlusu" in texts_of(welcome)[0]
    assert menu(newcomer) == expected_commands(harness, 2002)


WRONG_ARGUMENTS = [
    ("", "<b>Davet bağlantısı oluşturma</b>"),
    ("EBSO", "⚠️ Kullanım: /davet <kuruluş kısa adı> <rol> [küme kodu]"),
    ("EBSO patron", "⚠️ Kullanım"),
    ("Olmayan Kurum sorumlu", "⛔ “Olmayan Kurum” adlı kuruluş yok."),
    ("<b>x</b> & y sorumlu", "⛔ “<b>x</b> & y” adlı kuruluş yok."),
    ("Küme Yönetimleri sorumlu", "⛔ “Küme Yönetimleri” bir grup"),
    ("EBSO üye", "⛔ Küme üyesi daveti için bir küme belirtin."),
    ("EBSO üye yok-boyle", "⛔ “yok-boyle” kodlu küme yok."),
]


async def test_an_admin_with_wrong_arguments_is_told_how_and_no_invite_is_made(harness):
    admin = await person_of(harness, "admin")
    before = harness.counts()
    for args, expected in WRONG_ARGUMENTS:
        replies = await harness.send(admin, f"/davet {args}".strip())
        assert len(replies) == 1, args
        shown = replies[0]["raw_text"] if expected.startswith("<b>") else replies[0]["text"]
        assert expected in shown, args
        assert harness.counts() == before, args


async def test_davet_is_refused_to_everyone_but_admins(harness):
    for user_id, who in enumerate(["agency", "reporter", "secretary", "member"], start=1001):
        user = await person_of(harness, who, user_id)
        before = harness.counts()
        replies = await harness.send(user, "/davet EBSO sorumlu")
        if who in ("agency", "secretary"):  # they may invite cluster members only
            assert texts_of(replies) == [
                "⛔ Sizin rolünüzle yalnızca küme üyesi daveti oluşturulabilir: "
                "/davet üye <küme kodu>"], who
        else:
            assert texts_of(replies) == ["⛔ /davet komutu sizin rolünüz için açık değil."], who
        assert harness.counts() == before, who


async def test_agency_and_secretaries_make_a_member_link_with_its_qr_code(harness):
    for user_id, who in enumerate(["admin", "agency", "secretary"], start=1001):
        user = await person_of(harness, who, user_id)
        replies = await harness.send(user, "/davet üye organik-gida")
        text, photo = replies
        assert text["text"].startswith("Davet hazır: küme üyesi · İzmir Organik Gıda Kümesi"), who
        assert "photo" in photo and "QR kodu" in photo["caption"], who
        token = re.search(r"start=([A-Za-z0-9_-]+)", text["text"]).group(1)
        with Session(harness.engine) as session:
            invite = session.exec(select(Invite).where(Invite.token == token)).one()
            assert invite.organisation_id is None and invite.multi, who
            assert invite.role == Role.MEMBER, who
    (usage,) = await harness.send(user, "/davet")
    assert "/davet üye <küme kodu>" in usage["text"] and "sekreter" not in usage["text"]
