"""Unsubscribe links name their subscriber, signed: a forged or altered one names nobody."""

from __future__ import annotations

import pytest

from tracker.unsubscribe import subscriber_of, unsubscribe_token

SECRET = "test-secret-of-the-portal"


def test_a_token_names_its_subscriber():
    token = unsubscribe_token(SECRET, 42)
    assert subscriber_of(SECRET, token) == 42
    assert token == unsubscribe_token(SECRET, 42)  # the same link in every bulletin


@pytest.mark.parametrize(
    "token",
    ["", "42", "42.abc", "MQ.forged", "<script>", "x" * 500],
)
def test_forged_tokens_name_nobody(token):
    assert subscriber_of(SECRET, token) is None


def test_another_subscriber_cannot_be_reached_by_editing_a_token():
    token = unsubscribe_token(SECRET, 42)
    payload, _, signature = token.partition(".")
    other = unsubscribe_token(SECRET, 43).partition(".")[0]
    assert subscriber_of(SECRET, f"{other}.{signature}") is None
    assert subscriber_of("another-secret", token) is None


def test_no_secret_no_link():
    with pytest.raises(ValueError):
        unsubscribe_token("", 1)
