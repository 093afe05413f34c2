"""Secrets masked in every log record: which values are secret, and that no logger, handler or
level gets around the mask."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from kume.config import Config, _Section, load_config, secret_values
from kume.redaction import MASK, Redactor

TOKEN = "123456:Gizli-Jeton_abc"
WEBHOOK_SECRET = "webhook-Gizli-42"
PG_URL = "postgresql://kume:p%40ss:w0rd@db.example/kume"


def test_every_secret_of_the_configuration_is_collected():
    config = load_config(environ={
        "KUME_TELEGRAM_TOKEN": TOKEN,
        "KUME_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "KUME_DATABASE_URL": PG_URL,
    })
    # The URL's password decoded (as the driver gets it) and as written in the URL.
    assert set(secret_values(config)) == {TOKEN, WEBHOOK_SECRET, "p@ss:w0rd", "p%40ss:w0rd"}


def test_no_secret_configured_means_nothing_to_mask():
    assert secret_values(load_config(environ={"KUME_DATABASE_URL": "sqlite:///x.db"})) == []


def test_an_unparsable_database_url_still_gives_up_its_password():
    config = load_config(environ={"KUME_DATABASE_URL": "postgresql://u:Parola9@host:port/db"})
    assert secret_values(config) == ["Parola9"]


class SmtpConfig(_Section):
    host: str = "localhost"
    password: SecretStr | None = None


class ConfigWithMail(Config):
    smtp: SmtpConfig = SmtpConfig()


def test_a_new_secret_field_is_masked_without_being_listed():
    config = ConfigWithMail(smtp=SmtpConfig(password=SecretStr("smtp-Parola-7")))
    assert secret_values(config) == ["smtp-Parola-7"]


@pytest.fixture
def redactor() -> Iterator[Redactor]:
    """A mask installed for one test; the process's record factory restored after it."""
    previous = logging.getLogRecordFactory()
    redactor = Redactor()
    redactor.set_secrets([TOKEN, WEBHOOK_SECRET])
    redactor.install()
    try:
        yield redactor
    finally:
        logging.setLogRecordFactory(previous)


def isolated_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    """A logger that does not propagate, with a handler of its own added after start-up (as
    alembic's fileConfig or a library would): root-handler filters never see its records."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger(name)
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


def test_records_are_masked_at_every_level_on_any_handler(redactor):
    logger, stream = isolated_logger("tests.redaction.isolated")
    logger.debug("Set Bot API URL: %s", f"https://api.telegram.org/bot{TOKEN}")
    logger.info("quoted: https://api.telegram.org/bot%s/getMe", TOKEN.replace(":", "%3A"))
    logger.warning({"secret_token": WEBHOOK_SECRET})  # not a string message
    try:
        raise RuntimeError(f"failed calling /bot{TOKEN}/getMe")
    except RuntimeError:
        logger.exception("with a traceback")
    logger.error("with a stack", stack_info=True, extra={"note": "kept"})
    written = stream.getvalue()
    assert TOKEN not in written and WEBHOOK_SECRET not in written
    assert "Gizli" not in written
    assert f"DEBUG Set Bot API URL: https://api.telegram.org/bot{MASK}" in written
    assert f"https://api.telegram.org/bot{MASK}/getMe" in written
    assert f"RuntimeError: failed calling /bot{MASK}/getMe" in written
    assert "Traceback (most recent call last)" in written


def test_a_record_whose_message_cannot_be_formatted_is_masked_too(redactor):
    logger, stream = isolated_logger("tests.redaction.badformat")
    logger.warning("%d items", TOKEN)
    assert TOKEN not in stream.getvalue() and MASK in stream.getvalue()


@pytest.fixture
def process_redactor(monkeypatch) -> Iterator[None]:
    """The CLI installs the process's mask; this one is dropped after the test."""
    from kume import redaction

    previous = logging.getLogRecordFactory()
    monkeypatch.setattr(redaction, "REDACTOR", Redactor())
    try:
        yield
    finally:
        logging.setLogRecordFactory(previous)


def test_the_cli_masks_the_database_password_in_every_log_line(
    process_redactor, monkeypatch, tmp_path
):
    from kume.cli import App

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("KUME_CONFIG", raising=False)
    monkeypatch.setenv("KUME_DATABASE_URL", "postgresql://kume:S3cret-Pw@127.0.0.1/kume")
    monkeypatch.setenv("KUME_TELEGRAM_TOKEN", TOKEN)
    app = App(None, verbose=True)
    assert app.config.database.url.endswith("@127.0.0.1/kume")
    logger, stream = isolated_logger("tests.redaction.cli")
    logger.debug("connecting to %s", app.config.database.url)
    logger.debug("token %s", app.config.telegram.token.get_secret_value())
    assert stream.getvalue() == (
        f"DEBUG connecting to postgresql://kume:{MASK}@127.0.0.1/kume\n"
        f"DEBUG token {MASK}\n"
    )


def test_an_unexpected_error_is_shown_with_its_secrets_masked(tmp_path):
    """A bug's traceback is shown (it is needed to fix it), through the same mask."""
    import subprocess
    import sys

    program = (
        "import kume.cli\n"
        "def broken(**kwargs):\n"
        "    kume.cli.App(None).config\n"
        f"    raise RuntimeError('failed at https://api.telegram.org/bot{TOKEN}/getMe')\n"
        "kume.cli.cli = broken\n"
        "kume.cli.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=tmp_path,
        env={"KUME_TELEGRAM_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1
    assert done.stdout == ""
    assert "CRITICAL kume.cli: Beklenmeyen bir hata oluştu; ayrıntılar aşağıda." in done.stderr
    assert f"RuntimeError: failed at https://api.telegram.org/bot{MASK}/getMe" in done.stderr
    assert "Gizli" not in done.stderr
