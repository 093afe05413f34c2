"""Where each page of the portal is. The live site (`kume web`) and the static one (`kume archive
build`) show the same pages; only their addresses differ: a route such as `/bultenler/2014Q1`,
or a file such as `bulletins/2014Q1.html` reached by a link relative to the page that holds it
(so the static site works from any folder of any host, even opened from the disk)."""

from __future__ import annotations

from dataclasses import dataclass

# name: (live route, static file). Routes in Turkish, like the unsubscribe link's
# (tracker.unsubscribe.UNSUBSCRIBE_PATH); the files as the existing portal's hosting takes them.
PATHS: dict[str, tuple[str, str]] = {
    "index": ("/", "index.html"),
    "bulletin": ("/bultenler/{period}", "bulletins/{period}.html"),
    "feed": ("/bultenler.atom", "bulletins.atom"),
    "events": ("/etkinlikler", "events.html"),
    "event_ics": ("/etkinlikler/{event_id}.ics", "events/{event_id}.ics"),
    "calendar": ("/etkinlikler.ics", "events.ics"),
    "progress": ("/ilerleme", "progress.html"),
    "css": ("/site.css", "site.css"),
}


@dataclass(frozen=True)
class Links:
    base_url: str  # [web] base_url: where the portal is reached from outside
    static: bool = False
    depth: int = 0  # static: how many folders below the site's root the page is

    def url(self, name: str, **params: object) -> str:
        """The link from the page being rendered to a page of the site."""
        live, static = PATHS[name]
        if not self.static:
            return live.format(**params)
        return "../" * self.depth + static.format(**params)

    def absolute(self, name: str, **params: object) -> str:
        """The full address (for feeds and calendars, read outside the site)."""
        live, static = PATHS[name]
        path = (static if self.static else live.lstrip("/")).format(**params)
        return f"{self.base_url.rstrip('/')}/{path}"

    def file(self, name: str, **params: object) -> str:
        """The static site's file of a page, relative to its root."""
        return PATHS[name][1].format(**params)

    def at(self, depth: int) -> Links:
        return Links(self.base_url, self.static, depth)
