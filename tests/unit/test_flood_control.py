"""The local Bot API's flood limits, on a fake clock: what Telegram would refuse with 429."""

from __future__ import annotations

import pytest

from local_bot_api import ApiError, FloodControl, TelegramLimits


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def send(flood: FloodControl, chat: int, method: str = "sendMessage", **params: object) -> None:
    flood.admit(method, {"chat_id": chat, **params})


def refused(flood: FloodControl, chat: int, method: str = "sendMessage",
            **params: object) -> int:
    """The retry_after of the 429 this call gets (fails the test if it is accepted)."""
    with pytest.raises(ApiError) as caught:
        send(flood, chat, method, **params)
    assert caught.value.status == 429
    assert caught.value.payload()["parameters"] == {"retry_after": caught.value.retry_after}
    assert caught.value.retry_after is not None
    return caught.value.retry_after


def test_thirty_chats_a_second_then_429_until_the_window_moves_on(clock):
    flood = FloodControl(TelegramLimits(), clock)
    for chat in range(30):
        send(flood, chat)
        clock.now += 0.03  # 30 sends within 0.9 s
    assert refused(flood, 100) == 1
    clock.now = 1000.0 + 1.0  # the first send leaves the window: exactly one more fits
    send(flood, 101)
    assert refused(flood, 102) == 1
    assert flood.refusals == 2
    assert [(chat, limits) for _, _, chat, limits in flood.refused] == [
        (100, ("overall",)), (102, ("overall",))]


def test_one_chat_takes_a_short_burst_then_one_a_second(clock):
    flood = FloodControl(TelegramLimits(), clock)
    for _ in range(3):
        send(flood, 42)
    assert refused(flood, 42) == 1
    assert flood.refused[-1][3] == ("chat",)
    send(flood, 43)  # another chat is not held up
    clock.now += 1.0
    send(flood, 42)
    assert refused(flood, 42) == 1
    clock.now += 3.0  # idle time refills the burst, but never beyond it
    for _ in range(3):
        send(flood, 42)
    assert refused(flood, 42) == 1


def test_a_group_takes_twenty_a_minute(clock):
    flood = FloodControl(TelegramLimits(), clock)
    for _ in range(20):
        send(flood, -1001)
        clock.now += 1.0  # one a second: within the chat's own pace
    assert refused(flood, -1001) == 40  # the first of the twenty leaves the window at 60 s
    assert flood.refused[-1][3] == ("group",)
    clock.now += 40.0
    send(flood, -1001)
    for _ in range(20):  # a private chat is not limited per minute
        send(flood, 7)
        clock.now += 1.0


def test_edits_count_and_other_calls_do_not(clock):
    flood = FloodControl(TelegramLimits(chat_burst=2), clock)
    for _ in range(10):
        send(flood, 5, "answerCallbackQuery")
        send(flood, 5, "sendChatAction")
        send(flood, 5, "getChat")
    send(flood, 5)
    send(flood, 5, "editMessageText")
    refused(flood, 5, "editMessageReplyMarkup")


def test_paid_broadcast_lifts_the_overall_limit_to_its_own(clock):
    flood = FloodControl(TelegramLimits(paid_per_second=50), clock)
    for chat in range(50):
        send(flood, chat, allow_paid_broadcast="true")
    refused(flood, 99, allow_paid_broadcast=True)
    refused(flood, 98)  # a free send counts against both limits


def test_free_sends_stop_at_thirty_while_paid_ones_go_on(clock):
    flood = FloodControl(TelegramLimits(), clock)
    for chat in range(30):
        send(flood, chat)
    refused(flood, 30)
    for chat in range(31, 100):
        send(flood, chat, allow_paid_broadcast=True)


def test_a_refused_call_does_not_count(clock):
    flood = FloodControl(TelegramLimits(per_second=2), clock)
    admission = flood.admit("sendMessage", {"chat_id": 1})
    assert admission is not None
    admission.undo()  # e.g. 400 chat not found: no message was sent
    send(flood, 2)
    send(flood, 3)
    refused(flood, 4)
