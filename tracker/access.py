"""Who may do what. Every command and every button asks here, on the server side."""

from __future__ import annotations

from tracker.errors import Forbidden
from tracker.models import OrgKind, Person, Role

# Command name (as typed, without "/") -> roles that may use it. /start, /yardim and /iptal are
# open to everyone: they explain, they never reveal or change data of others.
COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "durum": frozenset({Role.ADMIN, Role.AGENCY, Role.REPORTER, Role.SECRETARY}),
    "gosterge": frozenset({Role.ADMIN, Role.AGENCY, Role.REPORTER}),
    # Admins invite anyone; agency staff and secretaries only cluster members (may_invite).
    "davet": frozenset({Role.ADMIN, Role.AGENCY, Role.SECRETARY}),
    "kilit": frozenset({Role.ADMIN, Role.AGENCY}),
    "rapor": frozenset({Role.ADMIN, Role.AGENCY}),
    # Behind the buttons of reminders; typed they work too.
    "ertele": frozenset({Role.ADMIN, Role.AGENCY, Role.REPORTER, Role.SECRETARY}),
    "degil": frozenset({Role.ADMIN, Role.AGENCY, Role.REPORTER, Role.SECRETARY}),
    "duyuru": frozenset({Role.ADMIN, Role.AGENCY, Role.SECRETARY}),
    # A cluster's Telegram group or channel: linked and unlinked by an admin only.
    "bagla": frozenset({Role.ADMIN}),
    "ayir": frozenset({Role.ADMIN}),
    # Events (tracker.events): announcing, following, deciding, answering.
    "etkinlik": frozenset({Role.ADMIN, Role.AGENCY, Role.SECRETARY}),
    "etkinlikler": frozenset({Role.ADMIN, Role.AGENCY, Role.SECRETARY}),
    "etkinlikdegistir": frozenset({Role.ADMIN, Role.AGENCY, Role.SECRETARY}),
    "etkinlikiptal": frozenset({Role.ADMIN, Role.AGENCY, Role.SECRETARY}),
    "etkinlikonay": frozenset({Role.ADMIN, Role.AGENCY}),
    "etkinlikret": frozenset({Role.ADMIN, Role.AGENCY}),
    # Behind the buttons of an event's notice; whether the person is in its audience is
    # checked by tracker.events.rsvp.
    "katilim": frozenset(Role),
    "takvim": frozenset(Role),
    "yoklama": frozenset({Role.ADMIN, Role.AGENCY, Role.SECRETARY}),
    "bulten": frozenset({Role.ADMIN, Role.AGENCY}),  # e-bulletins (tracker.bulletins)
    "iptal": frozenset(Role),
    "yardim": frozenset(Role),
    # A member's own subscriptions and data (KVKK).
    "abone": frozenset({Role.MEMBER}),
    "dur": frozenset({Role.MEMBER}),
    "verilerim": frozenset({Role.MEMBER}),
    "sil": frozenset({Role.MEMBER}),
}

# The order commands are listed in menus and help.
COMMAND_ORDER = (
    "durum", "gosterge", "ertele", "degil", "rapor", "etkinlik", "etkinlikler", "yoklama",
    "bulten", "kilit", "duyuru", "davet", "bagla", "ayir", "iptal", "yardim",
)
# A member's commands come first in their menu (COMMAND_ORDER holds everyone else's).
MEMBER_ORDER = ("abone", "dur", "verilerim", "sil")


def commands_for(person: Person | None, organisation_kind: OrgKind | None = None) -> list[str]:
    if person is None or not person.active:
        return ["yardim"]
    return [
        name
        for name in (*MEMBER_ORDER, *COMMAND_ORDER)
        if person.role in COMMAND_ROLES[name]
        and (name != "gosterge" or may_enter_figures(person, organisation_kind))
    ]


def may_enter_figures(person: Person, organisation_kind: OrgKind | None) -> bool:
    """Level 1 is entered by a cluster organisation's contact, level 2 by the agency."""
    if person.role in (Role.ADMIN, Role.AGENCY):
        return True
    return person.role == Role.REPORTER and organisation_kind == OrgKind.CLUSTER_MANAGEMENT


def may_invite(person: Person, role: Role) -> bool:
    """Admins invite any role; agency staff and secretaries bring in cluster members only."""
    if person.role == Role.ADMIN:
        return True
    return role == Role.MEMBER and person.role in (Role.AGENCY, Role.SECRETARY)


def require(person: Person | None, command: str) -> Person:
    """The person, if their role allows `command`; else Forbidden with a reason."""
    if person is None or not person.active:
        raise Forbidden("not_registered")
    if person.role not in COMMAND_ROLES.get(command, frozenset()):
        raise Forbidden("role_cannot", command=command, role=str(person.role))
    return person
