"""Who may do what. Every command and every button asks here, on the server side."""

from __future__ import annotations

from tracker.errors import Forbidden
from tracker.models import OrgKind, Person, Role

# Command name (as typed, without "/") -> roles that may use it. /start, /yardim and /iptal are
# open to everyone: they explain, they never reveal or change data of others.
COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "durum": frozenset({Role.ADMIN, Role.AGENCY, Role.REPORTER, Role.SECRETARY}),
    "gosterge": frozenset({Role.ADMIN, Role.AGENCY, Role.REPORTER}),
    "davet": frozenset({Role.ADMIN}),
    "kilit": frozenset({Role.ADMIN, Role.AGENCY}),
    "rapor": frozenset({Role.ADMIN, Role.AGENCY}),
    # Behind the buttons of reminders; typed they work too.
    "ertele": frozenset({Role.ADMIN, Role.AGENCY, Role.REPORTER, Role.SECRETARY}),
    "degil": frozenset({Role.ADMIN, Role.AGENCY, Role.REPORTER, Role.SECRETARY}),
    "yoklama": frozenset({Role.ADMIN, Role.AGENCY, Role.SECRETARY}),
    "iptal": frozenset(Role),
    "yardim": frozenset(Role),
}

# The order commands are listed in menus and help.
COMMAND_ORDER = (
    "durum", "gosterge", "ertele", "degil", "rapor", "kilit", "davet", "iptal", "yardim",
    "yoklama",
)


def commands_for(person: Person | None, organisation_kind: OrgKind | None = None) -> list[str]:
    if person is None or not person.active:
        return ["yardim"]
    return [
        name
        for name in COMMAND_ORDER
        if person.role in COMMAND_ROLES[name]
        and (name != "gosterge" or may_enter_figures(person, organisation_kind))
    ]


def may_enter_figures(person: Person, organisation_kind: OrgKind | None) -> bool:
    """Level 1 is entered by a cluster organisation's contact, level 2 by the agency."""
    if person.role in (Role.ADMIN, Role.AGENCY):
        return True
    return person.role == Role.REPORTER and organisation_kind == OrgKind.CLUSTER_MANAGEMENT


def require(person: Person | None, command: str) -> Person:
    """The person, if their role allows `command`; else Forbidden with a reason."""
    if person is None or not person.active:
        raise Forbidden("not_registered")
    if person.role not in COMMAND_ROLES.get(command, frozenset()):
        raise Forbidden("role_cannot", command=command, role=str(person.role))
    return person
