"""Who one can be in the simulator: simulated Telegram users, each registered by a real invite.

Names are user-facing Turkish text and live in templates/cli/simulator.j2.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.simulator.errors import SimulatorError
from tracker import texts
from tracker.models import Role
from tracker.turkish import fold

_TEMPLATE = "cli/simulator.j2"


@dataclass(frozen=True)
class Persona:
    key: str
    user_id: int  # the simulated Telegram user id (private chat id)
    organisation: str  # short name, as in the plan
    role: Role
    cluster: str | None = None

    @property
    def name(self) -> str:
        """How the simulator calls this persona, e.g. “EBSO sorumlusu”."""
        return texts.say(_TEMPLATE, "persona_name", key=self.key)

    @property
    def person(self) -> str:
        """The simulated user's first name, as the bot sees it."""
        return texts.say(_TEMPLATE, "persona_person", key=self.key)


PERSONAS: tuple[Persona, ...] = (
    Persona("ebso", 7_000_000_001, "EBSO", Role.REPORTER),
    Persona("ky-organik", 7_000_000_002, "KY Organik Gıda", Role.REPORTER),
    Persona("izka", 7_000_000_003, "İZKA", Role.AGENCY),
    Persona("sekreter", 7_000_000_004, "Kümelenme Komitesi", Role.SECRETARY),
    Persona("uye", 7_000_000_005, "Ekolojik Tarım Organizasyonu Derneği", Role.MEMBER,
            "organik-gida"),
    Persona("yonetici", 7_000_000_006, "İZKA", Role.ADMIN),
)


def find_persona(ref: str, personas: tuple[Persona, ...] = PERSONAS) -> Persona:
    """By number (1-based), key, or name: exact, then a unique name prefix or part."""
    wanted = fold(ref)
    if wanted.isdigit() and 1 <= int(wanted) <= len(personas):
        return personas[int(wanted) - 1]
    for persona in personas:
        if wanted in (persona.key, fold(persona.name)):
            return persona
    for test in (str.startswith, str.__contains__):
        found = [p for p in personas if wanted and test(fold(p.name), wanted)]
        if len(found) == 1:
            return found[0]
    raise SimulatorError("unknown_persona", ref=ref, names=[p.name for p in personas])
