"""A dialog's life beyond the happy path, through the real app polling the local Bot API.

Restarts (in-process and kill -9 of a separate bot process), Telegram re-delivering an update,
/iptal drafts and their expiry, commands in the middle of a dialog, stale and doubled button
presses, corrections, and the error handler.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from bot.render import message
from local_bot_api import SimUser
from tests.e2e.conftest import DEFAULT_NOW, BotEnv
from tracker.dialogs import service as dialog_service
from tracker.dialogs import status as status_dialog
from tracker.models import Dialog, DialogStatus, Person, Role, StatusUpdate

USER_ID = 1001
ACTION = "E1.2.3"  # the first of EBSO's four actions in 2014Q1
STALE = "Bu düğme artık geçerli değil."
PROCESS_START = 20.0  # seconds to wait for the first reply of a freshly started bot process


# -- helpers -----------------------------------------------------------------------------------


def buttons(msg: dict) -> list[str]:
    markup = msg.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def plain(name: str, **params: object) -> str:
    """What a person reads of a template without markup (Telegram trims the text)."""
    return message(name, **params).strip()


def action_label(msg: dict, code: str = ACTION) -> str:
    found = [label for label in buttons(msg) if label.lstrip("✅✏️ ").startswith(f"{code} ·")]
    assert found, f"no button for {code} in {buttons(msg)}: {msg['text']!r}"
    return found[0]


def dialogs_of(env: BotEnv, user_id: int = USER_ID) -> list[Dialog]:
    with Session(env.engine) as session:
        person = session.exec(select(Person).where(Person.telegram_user_id == user_id)).one()
        return list(
            session.exec(
                select(Dialog).where(Dialog.person_id == person.id).order_by(col(Dialog.id))
            )
        )


def the_dialog(env: BotEnv, user_id: int = USER_ID) -> Dialog:
    found = [d for d in dialogs_of(env, user_id) if d.subject.startswith(f"{ACTION}@")]
    assert len(found) == 1, found
    return found[0]


def status_rows(env: BotEnv) -> list[StatusUpdate]:
    with Session(env.engine) as session:
        return list(session.exec(select(StatusUpdate).order_by(col(StatusUpdate.version))))


async def registered(env: BotEnv, user_id: int = USER_ID) -> SimUser:
    return await env.register(user_id, "EBSO", Role.REPORTER)


async def open_action(user: SimUser, timeout: float = 5.0) -> dict:
    """/durum, pick ACTION: returns the status question."""
    await user.send("/durum")
    pick = await user.next_message(timeout=timeout)
    await user.press(pick, action_label(pick))
    question = await user.next_message()
    assert "Bu çeyrekte eylemin durumu nedir?" in question["text"]
    return question


async def to_narrative(user: SimUser, progress: str = "%40", timeout: float = 5.0) -> dict:
    """From nothing to the narrative question, with "Devam ediyor" and `progress` answered."""
    status_question = await open_action(user, timeout)
    await user.press(status_question, "Devam ediyor")
    progress_question = await user.next_message()
    assert "yüzde kaç" in progress_question["text"]
    await user.send(progress)
    narrative = await user.next_message()
    assert "neler yapıldı" in narrative["text"]
    return narrative


async def finish(user: SimUser, evidence_question: dict, timeout: float = 5.0) -> dict:
    """Skip the evidence, confirm: returns the summary (the saved message is checked)."""
    assert "kanıt ekleyin" in evidence_question["text"]
    await user.press(evidence_question, "Kanıt eklemeden geç")
    summary = await user.next_message(timeout=timeout)
    await user.press(summary, "✅ Onayla")
    saved = await user.next_message(timeout=timeout)
    assert f"Kaydedildi: {ACTION}, 2014 1. Çeyrek" in saved["text"]
    return summary


# -- the bot as a separate OS process ------------------------------------------------------------


class BotProcess:
    """`kume run` in a child process, configured through KUME_* variables only."""

    def __init__(self, env: BotEnv, workdir: Path):
        self.env = env
        self.workdir = workdir
        self.procs: list[subprocess.Popen] = []

    def environment(self) -> dict[str, str]:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("KUME_")}
        environ.update(
            KUME_DATABASE_URL=self.env.engine.url.render_as_string(hide_password=False),
            KUME_TELEGRAM_TOKEN=self.env.api.token,
            KUME_TELEGRAM_BASE_URL=self.env.api.base_url,
            KUME_TELEGRAM_USERNAME="kume_bot",
            KUME_CLOCK_START=DEFAULT_NOW.isoformat(),
            PYTHONUNBUFFERED="1",
        )
        return environ

    async def start(self) -> subprocess.Popen:
        await self.env.stop_bot()  # one poller at a time, as Telegram requires
        log = (self.workdir / f"bot-{len(self.procs) + 1}.log").open("wb")
        proc = subprocess.Popen(
            [sys.executable, "-m", "kume", "run"],
            env=self.environment(),
            cwd=self.workdir,  # no stray config.toml
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        self.procs.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen) -> None:
        assert proc.poll() is None, f"the bot process died by itself:\n{self.logs()}"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def kill_all(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> None:
        """Until `predicate()` holds on the API's state; fails early if a bot process died."""
        state = self.env.api.state
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            dead = [p.args for p in self.procs if p.returncode is None and p.poll() is not None]
            assert not dead and loop.time() < deadline, f"timed out:\n{self.logs()}"
            await state.wait(predicate, min(deadline, loop.time() + 0.2))

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')}"
            for path in sorted(self.workdir.glob("bot-*.log"))
        )


@pytest.fixture
async def bot_process(bot_env: BotEnv, tmp_path: Path) -> AsyncIterator[BotProcess]:
    """Child bot processes, killed however the test ends."""
    workdir = tmp_path / "bot-process"
    workdir.mkdir()
    processes = BotProcess(bot_env, workdir)
    try:
        yield processes
    finally:
        processes.kill_all()
        print(processes.logs())  # shown by pytest when the test failed


# -- 1. restarts ---------------------------------------------------------------------------------


async def test_restart_mid_dialog_continues_at_the_same_question(bot_env):
    user = await registered(bot_env)
    await to_narrative(user)

    await bot_env.stop_bot()
    await bot_env.start_bot()  # a new Application on the same database

    await user.send("İki firma ziyareti yapıldı")
    evidence = await user.next_message()
    assert "kanıt ekleyin" in evidence["text"]
    summary = await finish(user, evidence)
    assert "Durum: Devam ediyor" in summary["text"]
    assert "İlerleme: %40" in summary["text"]
    assert "Yapılanlar: İki firma ziyareti yapıldı" in summary["text"]

    rows = status_rows(bot_env)
    assert [(r.version, r.status, r.progress, r.narrative) for r in rows] == [
        (1, "in_progress", 40, "İki firma ziyareti yapıldı")
    ]
    assert dialogs_of(bot_env) == []


async def test_kill_9_mid_dialog_then_a_new_process_resumes(bot_env, bot_process):
    user = await registered(bot_env)
    first = await bot_process.start()
    status_question = await open_action(user, timeout=PROCESS_START)
    await user.press(status_question, "Devam ediyor")
    progress = await user.next_message()
    assert "yüzde kaç" in progress["text"]
    bot_process.kill(first)  # right after the bot replied

    # Pressed while no bot runs: Telegram keeps the update until a bot fetches it.
    await user.press(progress, "%50")
    await bot_process.start()
    narrative = await user.next_message(timeout=PROCESS_START)
    assert "neler yapıldı" in narrative["text"]
    await user.send("Fuar hazırlıkları sürüyor")
    evidence = await user.next_message()
    summary = await finish(user, evidence)
    assert "İlerleme: %50" in summary["text"]
    assert "Yapılanlar: Fuar hazırlıkları sürüyor" in summary["text"]

    rows = status_rows(bot_env)
    assert [(r.status, r.progress, r.narrative) for r in rows] == [
        ("in_progress", 50, "Fuar hazırlıkları sürüyor")
    ]


async def test_kill_9_before_the_update_is_confirmed_applies_it_once(bot_env, bot_process):
    api = bot_env.api
    user = await registered(bot_env)
    first = await bot_process.start()
    await to_narrative(user, timeout=PROCESS_START)

    await user.send("Çalıştay düzenlendi")
    update_id = api.pending_updates[-1]["update_id"]
    # As soon as the bot has fetched the answer, hold its next getUpdates (the one whose offset
    # confirms the answer) so that the kill lands between applying and confirming.
    await bot_process.wait_until(lambda: api.state.delivered_upto >= update_id, PROCESS_START)
    api.delay_next("getUpdates", 600)
    evidence = await user.next_message()
    assert "kanıt ekleyin" in evidence["text"]
    # The held getUpdates must have arrived before the kill: left queued, the delay would hold
    # the next process's first getUpdates instead (seen under load).
    await bot_process.wait_until(lambda: api.delays_left("getUpdates") == 0, PROCESS_START)
    assert update_id in [u["update_id"] for u in api.pending_updates]
    bot_process.kill(first)

    await bot_process.start()
    # The new process is served the unconfirmed answer again and confirms it...
    await bot_process.wait_until(
        lambda: update_id not in [u["update_id"] for u in api.pending_updates], PROCESS_START
    )
    # ...without applying it a second time (it would land on the evidence question as a bad
    # link) and without answering it again.
    await user.assert_no_reply(within=0.5)
    summary = await finish(user, evidence)
    assert "Yapılanlar: Çalıştay düzenlendi" in summary["text"]
    assert "Kanıt: yok" in summary["text"]
    rows = status_rows(bot_env)
    assert [(r.progress, r.narrative) for r in rows] == [(40, "Çalıştay düzenlendi")]


# -- 3. drafts -----------------------------------------------------------------------------------


async def test_cancel_keeps_a_draft_that_resumes_at_the_same_question(bot_env):
    user = await registered(bot_env)
    status_question = await open_action(user)
    await user.press(status_question, "Gecikmede")
    await user.next_message()
    await user.send("%30")
    narrative = await user.next_message()
    assert "neler yapıldı" in narrative["text"]

    await user.send("/iptal")
    cancelled = await user.next_message()
    assert "taslak olarak saklandı" in cancelled["text"]
    draft = the_dialog(bot_env)
    assert (draft.status, draft.step) == (DialogStatus.DRAFT, "narrative")
    await user.send("Bu arada bir metin")
    assert (await user.next_message())["text"] == plain("no_dialog")

    await user.send("/durum")
    pick = await user.next_message()
    assert action_label(pick).startswith(f"✏️ {ACTION} ·")
    assert [label for label in buttons(pick) if label.startswith("✏️")] == [action_label(pick)]
    await user.press(pick, action_label(pick))
    again = await user.next_message()
    assert again["text"] == narrative["text"]
    await user.send("Tedarikçi gecikti")
    blockers = await user.next_message()
    assert "Gecikmeye ne yol açıyor" in blockers["text"]
    await user.send("Bütçe onayı bekleniyor")
    summary = await finish(user, await user.next_message())
    assert "Durum: Gecikmede" in summary["text"]
    assert "İlerleme: %30" in summary["text"]
    assert "Engeller: Bütçe onayı bekleniyor" in summary["text"]
    (row,) = status_rows(bot_env)
    assert (row.status, row.progress, row.blockers) == ("delayed", 30, "Bütçe onayı bekleniyor")


async def test_an_old_dialog_expires_when_the_person_answers(bot_env):
    user = await registered(bot_env)
    status_question = await open_action(user)
    await user.press(status_question, "Devam ediyor")
    await user.next_message()

    bot_env.clock.advance(bot_env.settings.draft_ttl + timedelta(minutes=1))
    await user.send("%40")
    expired = await user.next_message()
    assert expired["text"] == plain("draft_expired", kind="status")
    await user.assert_no_reply()
    assert dialogs_of(bot_env) == []
    await user.send("%40")
    assert (await user.next_message())["text"] == plain("no_dialog")
    assert status_rows(bot_env) == []


async def test_the_sweep_drops_old_drafts_and_tells_the_person(bot_env):
    user = await registered(bot_env)
    status_question = await open_action(user)
    await user.press(status_question, "Tamamlandı")
    await user.next_message()
    await user.send("/iptal")
    assert "taslak olarak saklandı" in (await user.next_message())["text"]

    bot_env.clock.advance(bot_env.settings.draft_ttl + timedelta(minutes=1))
    (job,) = bot_env.app.job_queue.get_jobs_by_name("expire-drafts")
    await job.run(bot_env.app)
    notice = await user.next_message()
    assert notice["text"] == plain("draft_expired", kind="status")
    assert dialogs_of(bot_env) == []

    await user.send("/durum E3.1.1")  # a fresh dialog: the sweep must leave it alone
    fresh = await user.next_message()
    assert "E3.1.1" in fresh["text"]
    assert [(d.subject, d.status) for d in dialogs_of(bot_env)] == [
        ("E3.1.1@2014Q1", DialogStatus.ACTIVE)
    ]

    # Nothing else is expired: a second sweep says nothing; the fresh dialog goes on.
    await job.run(bot_env.app)
    await user.assert_no_reply()
    await user.press(fresh, "Devam ediyor")
    assert "yüzde kaç" in (await user.next_message())["text"]
    await user.send("/durum")
    pick = await user.next_message()
    assert not action_label(pick).startswith("✏️")


async def test_an_old_draft_is_gone_when_the_person_comes_back_before_the_sweep(bot_env):
    user = await registered(bot_env)
    status_question = await open_action(user)
    await user.press(status_question, "Tamamlandı")
    await user.next_message()
    await user.send("/iptal")
    await user.next_message()
    bot_env.clock.advance(bot_env.settings.draft_ttl + timedelta(minutes=1))
    await user.send("/durum")
    notice = await user.next_message()
    assert notice["text"] == plain("draft_expired", kind="status")
    pick = await user.next_message()
    assert "durum bildirimi" in pick["text"]
    assert not action_label(pick).startswith("✏️")


# -- 4. commands in the middle of a dialog -------------------------------------------------------


async def test_commands_in_the_middle_of_a_dialog(bot_env):
    user = await registered(bot_env)
    status_question = await open_action(user)
    await user.press(status_question, "Devam ediyor")
    progress = await user.next_message()
    before = the_dialog(bot_env)

    def unchanged() -> None:
        now = the_dialog(bot_env)
        assert (now.status, now.step, now.revision, now.data) == (
            DialogStatus.ACTIVE,
            before.step,
            before.revision,
            before.data,
        )

    await user.send("/yardim")
    help_text, asked = await user.replies()
    assert "kume yardım" in help_text["text"]
    assert "Yarım kalan işleminiz duruyor" in help_text["text"]
    assert (asked["text"], buttons(asked)) == (progress["text"], buttons(progress))
    unchanged()

    await user.send("/foo bar")
    (unknown,) = await user.replies()
    assert unknown["text"] == plain("unknown_command", command="/foo")
    assert "komutunu tanımıyorum" in unknown["text"]
    unchanged()

    await user.send("/start")
    (greeting,) = await user.replies()
    assert greeting["text"].startswith("Tekrar hoş geldiniz, Ayşe!")
    unchanged()

    # The re-asked question answers like the original.
    await user.press(asked, "%75")
    narrative = await user.next_message()
    assert "neler yapıldı" in narrative["text"]

    await user.send("/durum")
    pick = await user.next_message()
    assert "2014 1. Çeyrek durum bildirimi" in pick["text"]
    draft = the_dialog(bot_env)
    assert (draft.status, draft.step) == (DialogStatus.DRAFT, "narrative")
    assert draft.data["answers"] == {"status": "in_progress", "progress": 75}
    assert action_label(pick).startswith("✏️ ")
    await user.press(pick, action_label(pick))
    assert (await user.next_message())["text"] == narrative["text"]

    await user.send("/iptal")
    await user.next_message()
    await user.send("merhaba")
    (reply,) = await user.replies()
    assert reply["text"] == plain("no_dialog")


# -- 5. buttons ----------------------------------------------------------------------------------


async def test_stale_buttons_double_confirm_and_a_correction(bot_env):
    user = await registered(bot_env)
    status_question = await open_action(user)
    await user.press(status_question, "Devam ediyor")
    progress = await user.next_message()
    await user.send("%40")  # typed: the progress question keeps its buttons
    assert "neler yapıldı" in (await user.next_message())["text"]

    await user.press(progress, "%25")
    assert (await user.wait_answer())["text"] == STALE
    await user.assert_no_reply()  # the narrative question is on screen, not sent again
    assert the_dialog(bot_env).data["answers"]["progress"] == 40

    await user.send("Kümelenme toplantısı yapıldı")
    evidence = await user.next_message()
    await user.press(evidence, "Kanıt eklemeden geç")
    summary = await user.next_message()
    await user.press(summary, "✅ Onayla")
    await user.press(summary, "✅ Onayla")  # a quick second tap, before the bot answered
    saved = await user.next_message()
    assert "Kaydedildi" in saved["text"]
    await user.assert_no_reply()
    answers = [a["text"] for a in user.callback_answers[-2:]]
    assert answers == [None, STALE]
    assert [(r.version, r.progress) for r in status_rows(bot_env)] == [(1, 40)]

    # A correction: the same action again, the previous answers offered, one field changed.
    await user.send(f"/durum {ACTION}")
    again = await user.next_message()
    assert "Önceki yanıt (2014 1. Çeyrek): Devam ediyor, %40" in again["text"]
    await user.press(again, "Devam ediyor")
    await user.press(await user.next_message(), "Önceki gibi: %40")
    await user.press(await user.next_message(), "Önceki metni kullan")
    await user.press(await user.next_message(), "Kanıt eklemeden geç")
    await user.press(await user.next_message(), "✏️ Düzelt")
    fields = await user.next_message()
    assert "Hangi bilgiyi düzeltmek istersiniz?" in fields["text"]
    await user.press(fields, "İlerleme")
    assert "yüzde kaç" in (await user.next_message())["text"]
    await user.send("%60")
    summary = await user.next_message()
    assert "İlerleme: %60" in summary["text"]
    assert "Yapılanlar: Kümelenme toplantısı yapıldı" in summary["text"]
    await user.press(summary, "✅ Onayla")
    saved = await user.next_message()
    assert "%60 (düzeltme 2)" in saved["text"]

    rows = status_rows(bot_env)
    assert [(r.version, r.progress, r.narrative) for r in rows] == [
        (1, 40, "Kümelenme toplantısı yapıldı"),
        (2, 60, "Kümelenme toplantısı yapıldı"),
    ]


# -- 6. errors -----------------------------------------------------------------------------------


def database_down(*args: object, **kwargs: object) -> None:
    raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))


@pytest.fixture
def quiet_error_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level("CRITICAL", logger="bot.handlers.errors")
    yield caplog


async def test_a_failing_database_call_gets_an_apology_and_the_bot_goes_on(
    bot_env, monkeypatch, quiet_error_log
):
    user = await registered(bot_env)
    with monkeypatch.context() as patch:
        patch.setattr(status_dialog, "active_actions", database_down)
        await user.send("/durum")
        (apology,) = await user.replies()
    assert apology["text"] == plain("apology")
    status_question = await open_action(user)

    # In the middle of a dialog the failed answer changes nothing: the same answer works after.
    await user.press(status_question, "Devam ediyor")
    await user.next_message()
    before = the_dialog(bot_env)
    with monkeypatch.context() as patch:
        patch.setattr(dialog_service, "advance", database_down)
        await user.send("%40")
        (apology,) = await user.replies()
    assert apology["text"] == plain("apology")
    after = the_dialog(bot_env)
    assert (after.step, after.revision, after.data, after.last_update_id) == (
        before.step,
        before.revision,
        before.data,
        before.last_update_id,
    )
    await user.send("%40")
    assert "neler yapıldı" in (await user.next_message())["text"]


async def test_a_telegram_500_on_send_message_does_not_stop_the_bot(bot_env, quiet_error_log):
    api = bot_env.api
    user = await registered(bot_env)
    sent_before = len(api.calls_to("sendMessage"))
    api.fail_next("sendMessage", status=500)
    await user.send("/yardim")
    # The reply is tried once; on a loaded machine that may come after assert_no_reply's
    # settling time, so wait for the try itself first.
    loop = asyncio.get_running_loop()
    tried = await api.state.wait(lambda: len(api.calls_to("sendMessage")) > sent_before,
                                 loop.time() + 10)
    assert tried, "the bot never tried to answer"
    await user.assert_no_reply()
    assert len(api.calls_to("sendMessage")) == sent_before + 1  # tried once, failed

    await user.send("/yardim")
    assert "kume yardım" in (await user.next_message())["text"]
    await open_action(user)
