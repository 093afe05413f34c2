"""Configuration: a TOML file, overridden by the environment.

The file is found by `--config PATH`, else `KUME_CONFIG`, else `./config.toml` if present;
without one the defaults apply. Any key can come from the environment as
`KUME_<SECTION>_<KEY>` (e.g. `KUME_DATABASE_URL`, `KUME_TELEGRAM_TOKEN`), which is how secrets
should arrive. An unknown key or a wrong type stops start-up with a message naming the key.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tomllib
from collections.abc import Iterator
from datetime import time
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from kume.errors import ConfigError
from tracker import texts
from tracker.calendar import CalendarSettings

DEFAULT_DATABASE_URL = "sqlite:///data/kume.sqlite3"
TELEGRAM_BASE_URL = "https://api.telegram.org/bot"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A field whose value a configuration error never shows, although it is not a SecretStr.
_NEVER_SHOWN: dict[str, Any] = {"never_shown": True}


class DatabaseConfig(_Section):
    url: str = Field(default=DEFAULT_DATABASE_URL, json_schema_extra=_NEVER_SHOWN)  # a password


class TelegramConfig(_Section):
    token: SecretStr | None = None
    base_url: str = TELEGRAM_BASE_URL
    base_file_url: str | None = None
    username: str = "kume_bot"
    admins: list[int] = Field(default_factory=list)
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8443
    webhook_secret: SecretStr | None = None

    @model_validator(mode="after")
    def _webhook_needs_a_url(self) -> TelegramConfig:
        if self.mode == "webhook" and not self.webhook_url:
            # The type names the problem; config_errors.j2 says it in Turkish.
            raise PydanticCustomError("webhook_url_required", "webhook mode needs webhook_url")
        return self


class ClockConfig(_Section):
    # Start the bot's clock at this instant (then it runs forward in real time): the bundled
    # plan is 2013-2018, so demonstrations live inside it.
    start: AwareDatetime | None = None


class CalendarConfig(_Section):
    due_days: int = Field(default=15, ge=0, le=180)
    reminder_days: list[int] = Field(default_factory=lambda: [-7, -1, 3])
    escalate_days: int = Field(default=5, ge=0, le=180)
    lock_days: int = Field(default=45, gt=0, le=365)
    send_time: time = time(10, 0)
    quiet_start: time = time(20, 0)
    quiet_end: time = time(9, 0)
    grace_days: int = Field(default=3, ge=0, le=60)

    def settings(self) -> CalendarSettings:
            return CalendarSettings(
            due_days=self.due_days, reminder_days=tuple(sorted(self.reminder_days)),
            escalate_days=self.escalate_days, lock_days=self.lock_days,
            send_time=self.send_time, quiet_start=self.quiet_start, quiet_end=self.quiet_end,
            grace_days=self.grace_days)


class SendingConfig(_Section):
    # Telegram allows a bot about 30 messages a second; with paid broadcasts (a fee in Stars
    # per message, taken from the bot's balance) up to 1,000.
    paid_broadcast: bool = False
    rate: int = Field(default=30, ge=1, le=1000)

    @field_validator("rate")
    @classmethod
    def _free_rate_is_thirty(cls, rate: int, info: ValidationInfo) -> int:
        if rate > 30 and not info.data.get("paid_broadcast"):
            # The type names the problem; config_errors.j2 says it in Turkish.
            raise PydanticCustomError("rate_needs_paid_broadcast", "rate above 30 needs paid")
        return rate


class MembersConfig(_Section):
    # The KVKK information notice's version (templates/messages/consent.j2). Raise it when the
    # notice changes: each consent records the version the person accepted.
    notice_version: str = Field(default="1", min_length=1, max_length=32)


class EventsConfig(_Section):
    # True: an agency person approves every event before members are told.
    approval: bool = False


class SmtpConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=25, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password: SecretStr | None = None  # give it as KUME_SMTP_PASSWORD
    # The From header: a display name and an address, e.g. "İzmir Kalkınma Ajansı <bulten@x>".
    sender: str = "kume <kume@localhost>"
    reply_to: str | None = None
    rate: float = Field(default=5.0, gt=0, le=1000)  # messages a second
    timeout: float = Field(default=30.0, gt=0, le=600)


class WebConfig(_Section):
    listen: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    # Where people reach the portal: links in bulletins and e-mails start with it.
    base_url: str = "http://127.0.0.1:8080"
    # The plan progress page (no personal data) is shown only when this is true.
    public_progress: bool = False
    # Signs unsubscribe links: give it as KUME_WEB_SECRET; without one the links cannot be
    # made and bulletins are not e-mailed.
    secret: SecretStr | None = None


class DialogsConfig(_Section):
    draft_ttl_hours: int = Field(default=72, gt=0)


class LoggingConfig(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class Config(_Section):
    database: DatabaseConfig = DatabaseConfig()
    telegram: TelegramConfig = TelegramConfig()
    clock: ClockConfig = ClockConfig()
    calendar: CalendarConfig = CalendarConfig()
    dialogs: DialogsConfig = DialogsConfig()
    sending: SendingConfig = SendingConfig()
    members: MembersConfig = MembersConfig()
    events: EventsConfig = EventsConfig()
    smtp: SmtpConfig = SmtpConfig()
    web: WebConfig = WebConfig()
    logging: LoggingConfig = LoggingConfig()
    path: Path | None = Field(default=None, exclude=True)


def secret_values(config: BaseModel) -> list[str]:
    """Every secret the configuration holds, to be masked wherever text goes out: each
    SecretStr field, found by walking the model (a new section's password is covered without
    being listed here), and the password inside `database.url`."""
    found = [secret.get_secret_value() for secret in _secret_fields(config)]
    database = getattr(config, "database", None)
    if isinstance(database, DatabaseConfig):
        found.extend(url_passwords(database.url))
    return [value for value in found if value]


def _secret_fields(value: Any) -> Iterator[SecretStr]:
    if isinstance(value, SecretStr):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_fields(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_fields(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _secret_fields(item)


def url_passwords(url: str) -> list[str]:
    """The password of a database URL, decoded and as written (SQLAlchemy reads the URL the
    engine will use; urllib's reading also covers a URL SQLAlchemy cannot parse)."""
    passwords = []
    with contextlib.suppress(ArgumentError, ValueError):
        passwords.append(make_url(url).password)
    with contextlib.suppress(ValueError):
        passwords.append(urlsplit(url).password)
    return [str(password) for password in passwords if password]


def _environment_overrides(environ: dict[str, str]) -> dict[str, dict[str, str]]:
    overrides: dict[str, dict[str, str]] = {}
    for section_name, field in Config.model_fields.items():
        section_type = field.annotation
        if not (isinstance(section_type, type) and issubclass(section_type, _Section)):
            continue
        for key in section_type.model_fields:
            env_name = f"KUME_{section_name}_{key}".upper()
            if env_name in environ:
                overrides.setdefault(section_name, {})[key] = environ[env_name]
    return overrides


# (section, key) -> the environment variable that gave its value
_FromEnv = dict[tuple[str, ...], str]


def _describe(error: ValidationError, source: str, model: type[BaseModel], from_env: _FromEnv
              ) -> str:
    """Every problem pydantic found, in Turkish, naming the key (and the environment variable
    it came from) and the value given, unless that value may be a secret."""
    problems = [_problem(item, model, from_env) for item in error.errors()]
    return texts.say("cli/config_errors.j2", "invalid", source=source, problems=problems)


def _problem(item: ErrorDetails, model: type[BaseModel], from_env: _FromEnv) -> str:
    loc = item["loc"]
    names = tuple(str(part) for part in loc if not isinstance(part, int))
    position = next((part for part in loc if isinstance(part, int)), None)
    field = _field(model, names)
    # Only a known leaf's value is shown: an unknown key or a whole section may be a
    # misplaced secret.
    shown = field is not None and item["type"] not in ("extra_forbidden", "missing")
    hidden = shown and _never_shown(field)
    return texts.say(
        "cli/config_errors.j2",
        "problem",
        kind=item["type"],
        key=".".join(_printable(name) for name in names),
        item=None if position is None else position + 1,
        env=from_env.get(names[:2]),
        given=_shown(item.get("input")) if shown and not hidden else None,
        hidden=hidden,
        ctx=_context(item),
    )


def _field(model: type[BaseModel], names: tuple[str, ...]) -> Any:
    """The FieldInfo of a key of a section, or None for a section or an unknown key."""
    if len(names) != 2:
        return None
    section = model.model_fields.get(names[0])
    section_type = section.annotation if section is not None else None
    if not (isinstance(section_type, type) and issubclass(section_type, BaseModel)):
        return None
    return section_type.model_fields.get(names[1])


def _never_shown(field: Any) -> bool:
    extra = field.json_schema_extra
    flagged = isinstance(extra, dict) and bool(extra.get("never_shown"))
    return flagged or _is_secret_type(field.annotation)


def _is_secret_type(annotation: Any) -> bool:
    """SecretStr, or a type built from it (`SecretStr | None`, `list[SecretStr]`)."""
    return annotation is SecretStr or any(_is_secret_type(arg) for arg in get_args(annotation))


def _context(item: ErrorDetails) -> dict[str, Any]:
    ctx = dict(item.get("ctx") or {})
    if item["type"] == "literal_error":
        ctx["choices"] = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
    return ctx


def _shown(value: Any, limit: int = 60) -> str:
    """A value as TOML would write it, shortened, with anything unprintable escaped."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _printable(text)


def _printable(text: str) -> str:
    """A person may have typed anything: no control character reaches the terminal."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


def find_config_path(
    explicit: str | os.PathLike[str] | None, environ: dict[str, str]
) -> Path | None:
    if explicit:
        return Path(explicit)
    if environ.get("KUME_CONFIG"):
        return Path(environ["KUME_CONFIG"])
    default = Path("config.toml")
    return default if default.is_file() else None


def load_config(
    path: str | os.PathLike[str] | None = None, environ: dict[str, str] | None = None
) -> Config:
    environ = dict(os.environ if environ is None else environ)
    config_path = find_config_path(path, environ)
    data: dict[str, Any] = {}
    source = texts.say("cli/config_errors.j2", "defaults")
    if config_path is not None:
        source = str(config_path)
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(
                texts.say("cli/config_errors.j2", "file_missing", path=config_path)
            ) from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                texts.say("cli/config_errors.j2", "file_unreadable", path=config_path, reason=exc)
            ) from exc
    from_env: _FromEnv = {}
    for section, values in _environment_overrides(environ).items():
        target = data.setdefault(section, {})
        if not isinstance(target, dict):
            raise ConfigError(
                texts.say("cli/config_errors.j2", "not_a_section", source=source, section=section)
            )
        for key, raw in values.items():
            target[key] = _env_value(section, key, raw)
            from_env[(section, key)] = f"KUME_{section}_{key}".upper()
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, Config, from_env)) from exc
    return config.model_copy(update={"path": config_path})


def _env_value(section: str, key: str, raw: str) -> Any:
    """Environment values are strings; lists are given comma-separated."""
    section_model = Config.model_fields[section].annotation
    # Only sections reach here (see _environment_overrides): a section is a model.
    assert isinstance(section_model, type) and issubclass(section_model, _Section)
    annotation = section_model.model_fields[key].annotation
    if annotation == list[int]:
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw
