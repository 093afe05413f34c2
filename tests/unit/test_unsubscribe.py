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


def test_the_link_is_the_portal_route_with_a_token_that_names_its_subscriber():
    from tracker.unsubscribe import subscriber_of, unsubscribe_url

    url = unsubscribe_url("https://portal.example/kume/", "s3cret", 42)
    prefix = "https://portal.example/kume/abonelik/iptal/"
    assert url.startswith(prefix)
    assert subscriber_of("s3cret", url.removeprefix(prefix)) == 42
