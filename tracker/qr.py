"""QR codes of links (invites for posters and slides), drawn by segno."""

from __future__ import annotations

import io
from pathlib import Path

# Large enough to scan from a projected slide or a poster across a room.
SCALE = 10


def qr_png(link: str) -> bytes:
    """`link` as a QR code, PNG bytes."""
    import segno  # loaded when a code is drawn: the idle bot stays lighter (README, speed)

    out = io.BytesIO()
    segno.make(link, error="m").save(out, kind="png", scale=SCALE, border=4)
    return out.getvalue()


def write_qr(link: str, path: Path) -> None:
    path.write_bytes(qr_png(link))
