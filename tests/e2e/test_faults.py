"""A fault inside a handler: the person gets the apology, the administrators one short notice
per kind of error and window (tracker.notifications.incidents), never the error's details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.handlers import help as help_handler
from bot.render import message
from local_bot_api import SimUser
from tests.e2e.conftest import ADMIN_ID, BotEnv
from tracker.models import Notification, Role
from tracker.notifications.incidents import NOTICE_EVERY

SECRET = "postgresql://kume:s3cret@db.internal/kume"


class BrokenQuery(Exception):
    pass


def broken(*args: object, **kwargs: object) -> None:
    raise BrokenQuery(f"could not connect to {SECRET}")


@pytest.fixture
def quiet_error_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level("CRITICAL", logger="bot.handlers.errors")
    yield caplog


async def admin_of(env: BotEnv) -> SimUser:
    admin = env.api.user(ADMIN_ID, first_name="Yönetici")
    await admin.send("/start")
    assert "yönetici olarak kayıtlısınız" in (await admin.next_message())["text"]
    return admin


async def ask_for_help_while_broken(user: SimUser, monkeypatch: pytest.MonkeyPatch,
                                    times: int) -> None:
    with monkeypatch.context() as patch:
        patch.setattr(help_handler, "menu_for", broken)
        for _ in range(times):
            await user.send("/yardim")
            (apology,) = await user.replies()
            assert apology["text"] == message("apology").strip()


def fault_rows(env: BotEnv) -> list[Notification]:
    with Session(env.engine) as session:
        return list(session.exec(
            select(Notification).where(Notification.kind == "fault").order_by(Notification.id)))


async def test_a_burst_of_errors_tells_the_admin_once_and_each_person_gets_the_apology(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch, quiet_error_log: pytest.LogCaptureFixture
) -> None:
    admin = await admin_of(bot_env)
    user = await bot_env.register(7101, "EBSO", Role.REPORTER)

    await ask_for_help_while_broken(user, monkeypatch, times=3)

    notice = await admin.next_message()
    assert "kume'de bir hata oluştu: BrokenQuery" in notice["text"]
    assert "Kişiden özür dilendi" in notice["text"]
    for secret in ("s3cret", "postgresql", "Traceback", "could not connect"):
        assert secret not in notice["text"]
    await admin.assert_no_reply()
    assert len(fault_rows(bot_env)) == 1

    # The next window, the same error is news again: one more notice.
    bot_env.clock.advance(NOTICE_EVERY)
    await ask_for_help_while_broken(user, monkeypatch, times=2)
    assert "BrokenQuery" in (await admin.next_message())["text"]
    await admin.assert_no_reply()
    rows = fault_rows(bot_env)
    assert [r.status for r in rows] == ["sent", "sent"]
    assert len({r.key for r in rows}) == 2


async def test_another_kind_of_error_in_the_same_window_has_its_own_notice(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch, quiet_error_log: pytest.LogCaptureFixture
) -> None:
    admin = await admin_of(bot_env)
    user = await bot_env.register(7102, "EBSO", Role.REPORTER)
    await ask_for_help_while_broken(user, monkeypatch, times=1)
    assert "BrokenQuery" in (await admin.next_message())["text"]

    def other(*args: object, **kwargs: object) -> None:
        raise KeyError(SECRET)

    bot_env.clock.advance(timedelta(minutes=1))
    with monkeypatch.context() as patch:
        patch.setattr(help_handler, "menu_for", other)
        await user.send("/yardim")
        (apology,) = await user.replies()
    assert apology["text"] == message("apology").strip()
    notice = await admin.next_message()
    assert "KeyError" in notice["text"] and "s3cret" not in notice["text"]
    await admin.assert_no_reply()
    assert [r.subject for r in fault_rows(bot_env)] == ["BrokenQuery", "KeyError"]


async def test_without_an_administrator_an_error_is_only_apologised_for(
    bot_env: BotEnv, monkeypatch: pytest.MonkeyPatch, quiet_error_log: pytest.LogCaptureFixture
) -> None:
    user = await bot_env.register(7103, "EBSO", Role.REPORTER)
    await ask_for_help_while_broken(user, monkeypatch, times=1)
    assert fault_rows(bot_env) == []
