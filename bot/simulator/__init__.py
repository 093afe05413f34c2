"""The offline simulator: chat with the real bot in a terminal, with no Telegram and no token.

`kume simulate` (and `kume run` when no token is configured) prepares the configured database,
starts the local Bot API (local_bot_api) on 127.0.0.1, runs the real application against it
with a simulated clock, and lets a person type as one of several personas, each registered
through a real invite. `kume simulate --script FILE` plays a scripted conversation.

    session.py   the engine-agnostic core (Simulation)   syntax.py   what an input line means
    personas.py  who one can be                          render.py   bot messages as text
    console.py   one input → its output                  terminal.py interactive loop
    script.py    scripted play and transcript            setup.py    config → Simulation
"""

from bot.simulator.errors import SimulatorError
from bot.simulator.personas import PERSONAS, Persona, find_persona
from bot.simulator.script import read_script, run_script
from bot.simulator.session import DEFAULT_START, Shown, Simulation
from bot.simulator.syntax import parse, parse_when
from bot.simulator.terminal import run_interactive

__all__ = [
    "DEFAULT_START",
    "PERSONAS",
    "Persona",
    "Shown",
    "Simulation",
    "SimulatorError",
    "find_persona",
    "parse",
    "parse_when",
    "read_script",
    "run_interactive",
    "run_script",
]
