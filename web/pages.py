"""Each page of the portal rendered to text (HTML, Atom, iCalendar), the same for the live site
and the static one: only the Links differ. The reads are tracker.portal's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from sqlmodel import Session

from tracker import portal, texts
from tracker.events.ics import calendar_feed, calendar_file
from tracker.models import Bulletin
from tracker.resources import data_dir
from web.links import Links

WORDS = "web/words.html"
UPCOMING_ON_INDEX = 3


@dataclass(frozen=True)
class Site:
    links: Links
    public_progress: bool

    def at(self, depth: int) -> Site:
        return Site(self.links.at(depth), self.public_progress)


def render(site: Site, template: str, **params: Any) -> str:
    """A page of templates/web/ (autoescaped: every stored text is escaped)."""
    return texts.html_env().get_template(f"web/{template}").render(
        links=site.links, public_progress=site.public_progress, **params)


def word(name: str, **params: Any) -> str:
    """A name the portal gives outside its pages (the feed's title, the calendar's name)."""
    return str(getattr(texts.html_env().get_template(WORDS).module, name)(**params)).strip()


def stylesheet() -> bytes:
    return (data_dir("templates") / "web" / "site.css").read_bytes()


@dataclass(frozen=True)
class ListedBulletin:
    period: str
    label: str
    sent_at: datetime | None
    summary: str


def _listed(bulletin: Bulletin) -> ListedBulletin:
    return ListedBulletin(bulletin.period, portal.period_label(bulletin.period),
                          bulletin.sent_at, portal.summary(bulletin))


def index(session: Session, site: Site, now: datetime) -> str:
    return render(site, "index.html",
                  bulletins=[_listed(b) for b in portal.sent_bulletins(session)],
                  upcoming=portal.upcoming_events(session, now)[:UPCOMING_ON_INDEX])


def bulletin(session: Session, site: Site, period: str) -> str | None:
    found = portal.sent_bulletin(session, period)
    if found is None:
        return None
    return render(site, "bulletin.html", label=portal.period_label(found.period),
                  sent_at=found.sent_at, body=portal.bulletin_body(found))


def feed(session: Session, site: Site, now: datetime) -> bytes:
    """The archive's Atom feed (RFC 4287), made by feedgen: ids, dates and escaping as the
    standard wants them, where a hand-written template would have to get each right."""
    bulletins = portal.sent_bulletins(session)
    fg = FeedGenerator()
    fg.id(site.links.absolute("feed"))
    fg.title(word("feed_title"))
    fg.subtitle(word("feed_subtitle"))
    fg.author({"name": word("feed_author")})
    fg.language("tr")
    fg.link(href=site.links.absolute("feed"), rel="self", type="application/atom+xml")
    fg.link(href=site.links.absolute("index"), rel="alternate", type="text/html")
    newest = max((b.sent_at for b in bulletins if b.sent_at), default=None)
    fg.updated(_utc(newest or now))
    for b in reversed(bulletins):  # feedgen puts the last one added first
        entry = fg.add_entry()
        url = site.links.absolute("bulletin", period=b.period)
        entry.id(url)
        entry.title(word("bulletin_title", label=portal.period_label(b.period)))
        entry.link(href=url, rel="alternate", type="text/html")
        sent = _utc(b.sent_at or b.updated_at)
        entry.published(sent)
        entry.updated(sent)
        entry.summary(portal.summary(b))
        entry.content(portal.bulletin_body(b), type="html")
    return bytes(fg.atom_str(pretty=True))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def events(session: Session, site: Site, now: datetime) -> str:
    return render(site, "events.html", upcoming=portal.upcoming_events(session, now),
                  past=portal.past_events(session, now),
                  calendar_url=site.links.absolute("calendar"))


def event_ics(session: Session, event_id: int, now: datetime) -> bytes | None:
    event = portal.public_event(session, event_id)
    return None if event is None else calendar_file(event, now)


def calendar(session: Session, now: datetime) -> bytes:
    return calendar_feed(portal.upcoming_events(session, now), now, word("calendar_name"))


def progress(session: Session, site: Site) -> str | None:
    """The plan's progress; None unless [web] public_progress is true."""
    if not site.public_progress:
        return None
    return render(site, "progress.html", plans=portal.plan_progress(session))


def error(site: Site, status: int) -> str:
    return render(site, "error.html", status=status)
