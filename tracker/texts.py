"""Every sentence a person reads comes from templates/ (Jinja2).

Templates under `messages/` are Telegram HTML and escape what they are given; the others
(`cli/`, `texts/`, `reports/`) are plain text. A template can hold several macros; `say()`
calls one by name, so a domain error keeps a code and its parameters, not a sentence.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from tracker import formatting
from tracker.errors import CodedError
from tracker.resources import data_dir

TEMPLATES_DIR = data_dir("templates")


def _filters(env: Environment) -> Environment:
    env.filters.update(formatting.JINJA_FILTERS)
    # An error that wraps another (a plan problem naming a bad quarter) words it in its macro.
    env.globals["describe"] = describe
    return env


# Both environments: auto_reload=False, since templates ship with the package and do not change
# under a running process; Jinja's default checked every template's file time at every use (a
# stat call each, ~3 % of a dialog step's CPU, bench/floor.py). Restart to see an edited one.
@cache
def plain_env() -> Environment:
    return _filters(
        Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,
            auto_reload=False,
        )
    )


@cache
def html_env() -> Environment:
    return _filters(
        Environment(
            loader=FileSystemLoader(TEMPLATES_DIR),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            autoescape=True,
            auto_reload=False,
        )
    )


def _env_for(name: str) -> Environment:
    return html_env() if name.startswith(("messages/", "email/", "site/")) else plain_env()


def render(name: str, /, **params: Any) -> str:
    """Render a whole template, e.g. render("cli/plan_show.j2", plan=...)."""
    return _env_for(name).get_template(name).render(**params).strip("\n")


def say(name: str, macro: str, /, **params: Any) -> str:
    """Call one macro of a template, e.g. say("texts/plan_import.j2", "duplicate_code", ...)."""
    module = _env_for(name).get_template(name).module
    try:
        fn = getattr(module, macro)
    except AttributeError as exc:
        raise LookupError(f"{name} has no macro {macro!r}") from exc
    return str(fn(**params)).strip()


def preload_macros(names: Iterable[str]) -> None:
    """Compile templates whose macros `say` calls, and the ones they import, now rather than at
    their first use: a worker warming up pays for it before anyone waits (bot/rendering.py;
    the report's took 0.2 s of its first /rapor)."""
    for name in names:
        _env_for(name).get_template(name).module  # noqa: B018  (loading is the point)


def describe(error: CodedError) -> str:
    """Why something could not be done, in Turkish: the boundary (the bot's refusal, the CLI,
    the simulator) calls this; the error itself carries only its code and parameters."""
    return say(error.template, error.code, **error.params)
