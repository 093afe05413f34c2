"""What the bot needs from the configuration, in domain terms."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from bot.mailer import MailSettings
from bot.pacing import SendLimits
from kume.config import Config
from tracker.bulletins.send import MailLinks
from tracker.calendar import CalendarSettings


@dataclass(frozen=True)
class BotSettings:
    username: str = "kume_bot"
    admins: frozenset[int] = frozenset()
    calendar: CalendarSettings = field(default_factory=CalendarSettings)
    draft_ttl: timedelta = timedelta(hours=72)
    # How often the scheduler looks for due work (0: never, e.g. in tests that drive it).
    tick_seconds: int = 60
    sending: SendLimits = field(default_factory=SendLimits)
    # [members] notice_version: the KVKK information notice a member accepts.
    notice_version: str = "1"
    # [events] approval: an agency person approves every event before members are told.
    event_approval: bool = False
    # [web] base_url and secret: the unsubscribe link in each bulletin e-mail.
    mail_links: MailLinks = field(default_factory=MailLinks)
    # [smtp] and [web]: the e-mail sender runs next to the Telegram one (None: no e-mail).
    mail: MailSettings | None = None

    @classmethod
    def from_config(cls, config: Config) -> BotSettings:
        return cls(
            username=config.telegram.username,
            admins=frozenset(config.telegram.admins),
            calendar=config.calendar.settings(),
            draft_ttl=timedelta(hours=config.dialogs.draft_ttl_hours),
            sending=SendLimits(rate=config.sending.rate,
                               paid_broadcast=config.sending.paid_broadcast),
            notice_version=config.members.notice_version,
            event_approval=config.events.approval,
            mail_links=mail_links(config),
            mail=MailSettings.from_config(config),
        )


def mail_links(config: Config) -> MailLinks:
    secret = config.web.secret.get_secret_value() if config.web.secret else None
    return MailLinks(base_url=config.web.base_url, secret=secret)
