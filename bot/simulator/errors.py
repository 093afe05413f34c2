"""The simulator's errors: a code and parameters, the words in templates/cli/."""

from __future__ import annotations

from tracker.errors import DomainError


class SimulatorError(DomainError):
    """A simulator input that cannot be carried out; `str()` says why, in Turkish."""

    template = "cli/simulator_errors.j2"
