"""Signed unsubscribe links: the link in every bulletin e-mail names its subscriber by id,
signed with `[web] secret`, so nobody can unsubscribe someone else by guessing a link.

itsdangerous (the Pallets project's signing library) rather than a hand-made HMAC: it gets the
encoding, the constant-time comparison and key derivation per purpose ("salt") right. The
token never expires: an unsubscribe link in a two-year-old e-mail must still work.
"""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

_PURPOSE = "kume-unsubscribe"


def _serializer(secret: str) -> URLSafeSerializer:
    if not secret:
        raise ValueError("an unsubscribe link needs [web] secret (KUME_WEB_SECRET)")
    return URLSafeSerializer(secret, salt=_PURPOSE)


def unsubscribe_token(secret: str, subscriber_id: int) -> str:
    """The token of a subscriber's unsubscribe link (URL-safe, about 30 characters)."""
    return str(_serializer(secret).dumps(subscriber_id))


def subscriber_of(secret: str, token: str) -> int | None:
    """The subscriber a token names, or None for a forged, altered or garbled token."""
    try:
        value = _serializer(secret).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# The portal's route (kume web) and the link in every bulletin mail: one definition for both.
UNSUBSCRIBE_PATH = "/abonelik/iptal/{token}"


def unsubscribe_url(base_url: str, secret: str, subscriber_id: int) -> str:
    """The https link in a subscriber's mail (body and List-Unsubscribe header)."""
    path = UNSUBSCRIBE_PATH.format(token=unsubscribe_token(secret, subscriber_id))
    return base_url.rstrip("/") + path
