"""`kume archive build --out DIR`: the portal's public pages as a static site, for hosting that
serves files (the agency's existing portal). The same pages as `kume web`, linked by relative
paths; the feeds' links are absolute, from [web] base_url. The unsubscribe form and /healthz
need the live site and are not part of it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from tracker import portal
from web import pages
from web.links import Links


@dataclass
class Written:
    files: list[Path] = field(default_factory=list)
    bulletins: int = 0
    events: int = 0


def build(session: Session, out: Path, base_url: str, public_progress: bool,
          now: datetime) -> Written:
    root = pages.Site(Links(base_url, static=True), public_progress)
    written = Written()

    def write(name: str, data: str | bytes, **params: object) -> None:
        path = out / root.links.file(name, **params)
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        written.files.append(path)

    write("css", pages.stylesheet())
    write("index", pages.index(session, root, now))
    write("feed", pages.feed(session, root, now))
    for bulletin in portal.sent_bulletins(session):
        # Only a well-formed period names a file (portal.sent_bulletin checks it).
        page = pages.bulletin(session, root.at(1), bulletin.period)
        if page is not None:
            write("bulletin", page, period=bulletin.period)
            written.bulletins += 1
    write("events", pages.events(session, root, now))
    write("calendar", pages.calendar(session, now))
    shown = portal.upcoming_events(session, now) + portal.past_events(session, now)
    for event in shown:
        ics = pages.event_ics(session, event.id or 0, now)
        if ics is not None:
            write("event_ics", ics, event_id=event.id)
            written.events += 1
    progress = pages.progress(session, root)
    if progress is not None:
        write("progress", progress)
    return written
