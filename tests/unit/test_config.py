from __future__ import annotations

import pytest

from kume.config import ConfigError, load_config
from tracker.db import normalise_url, safe_url


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.database.url == "sqlite:///data/kume.sqlite3"
    assert config.telegram.token is None
    assert config.path is None


def test_file_found_by_argument_environment_or_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[database]\nurl = "sqlite:///here.db"\n')
    other = tmp_path / "other.toml"
    other.write_text('[database]\nurl = "sqlite:///other.db"\n')
    assert load_config(environ={}).database.url == "sqlite:///here.db"
    assert load_config(environ={"KUME_CONFIG": str(other)}).database.url == "sqlite:///other.db"
    assert load_config(other, environ={}).database.url == "sqlite:///other.db"


def test_environment_overrides_the_file_and_carries_secrets(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[database]\nurl = "sqlite:///file.db"\n[telegram]\nadmins = [1]\n')
    config = load_config(
        path,
        environ={
            "KUME_DATABASE_URL": "postgresql://postgres@127.0.0.1/kume",
            "KUME_TELEGRAM_TOKEN": "123:Gizli-Jeton",
            "KUME_TELEGRAM_ADMINS": "5, 6",
        },
    )
    assert config.database.url == "postgresql://postgres@127.0.0.1/kume"
    assert config.telegram.token.get_secret_value() == "123:Gizli-Jeton"
    assert "Gizli-Jeton" not in repr(config) and "Gizli-Jeton" not in str(config.telegram)
    assert config.telegram.admins == [5, 6]


@pytest.mark.parametrize(
    "body, words",
    [
        ('[database]\nadres = "x"\n', "bilinmeyen anahtar: database.adres"),
        ('[veritabani]\nurl = "x"\n', "bilinmeyen anahtar: veritabani"),
        ('[telegram]\nadmins = "hepsi"\n', "telegram.admins"),
        ("[dialogs]\ndraft_ttl_hours = -1\n", "dialogs.draft_ttl_hours"),
        ("[clock]\nstart = 2014-04-02T10:00:00\n", "clock.start"),
        ("[database\n", "okunamadı"),
    ],
)
def test_bad_configuration_is_a_clear_error_naming_the_key(tmp_path, body, words):
    path = tmp_path / "c.toml"
    path.write_text(body)
    with pytest.raises(ConfigError, match="Yapılandırma") as caught:
        load_config(path, environ={})
    assert words in str(caught.value)


def test_missing_config_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="bulunamadı"):
        load_config(tmp_path / "yok.toml", environ={})


def test_example_config_documents_every_key_and_loads():
    from pathlib import Path

    from kume.config import Config

    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    config = load_config(example, environ={})
    text = example.read_text(encoding="utf-8")
    for section, field in Config.model_fields.items():
        if section == "path":
            continue
        assert f"[{section}]" in text
        for key in field.annotation.model_fields:
            assert f"\n{key} =" in text or f"\n# {key} =" in text, f"{section}.{key}"
    assert config.telegram.token is None


def test_postgres_urls_work_as_written():
    assert normalise_url("postgresql://user@host/db") == "postgresql+psycopg://user@host/db"
    assert safe_url("postgresql://user:pw@host/db") == "postgresql://user:***@host/db"


@pytest.mark.parametrize(
    "body, line",
    [
        ('[calendar]\ndue_days = "on beş"\n',
         'calendar.due_days: bir tam sayı olmalı, örn. 15 (verilen: "on beş")'),
        ("[calendar]\ndue_days = 1.5\n",
         "calendar.due_days: kesirsiz bir tam sayı olmalı, örn. 15 (verilen: 1.5)"),
        ("[calendar]\ndue_days = -1\n", "calendar.due_days: en az 0 olmalı (verilen: -1)"),
        ("[calendar]\nlock_days = 400\n", "calendar.lock_days: en çok 365 olmalı (verilen: 400)"),
        ("[calendar]\nlock_days = 0\n",
         "calendar.lock_days: 0 sayısından büyük olmalı (verilen: 0)"),
        ('[calendar]\nsend_time = "25:00"\n',
         'calendar.send_time: bir saat olmalı, örn. "10:00" (verilen: "25:00")'),
        ('[calendar]\nreminder_days = [-7, "yarın"]\n',
         'calendar.reminder_days, 2. öğe: bir tam sayı olmalı, örn. 15 (verilen: "yarın")'),
        ('[telegram]\nadmins = "hepsi"\n',
         'telegram.admins: bir liste olmalı, örn. [1, 2] (ortam değişkeninde virgülle: 1,2) '
         '(verilen: "hepsi")'),
        ('[telegram]\nmode = "push"\n',
         'telegram.mode: şunlardan biri olmalı: polling, webhook (verilen: "push")'),
        ("[telegram]\nusername = 42\n",
         'telegram.username: tırnak içinde bir metin olmalı, örn. "abc" (verilen: 42)'),
        ('[telegram]\nmode = "webhook"\n',
         "telegram: webhook kipinde webhook_url (Telegram'ın çağıracağı adres) gerekli"),
        ("[clock]\nstart = 2014-04-02T10:00:00\n",
         "clock.start: saat dilimi içermeli, örn. 2014-04-02T10:00:00+03:00 "
         '(verilen: "2014-04-02 10:00:00")'),
        ('[clock]\nstart = "dün"\n',
         "clock.start: saat dilimiyle bir tarih-saat olmalı, örn. 2014-04-02T10:00:00+03:00 "
         '(verilen: "dün")'),
        ('[logging]\nlevel = "debug"\n',
         'logging.level: şunlardan biri olmalı: DEBUG, INFO, WARNING, ERROR (verilen: "debug")'),
        ("telegram = 5\n",
         "telegram: bir bölüm olmalı: [telegram] başlığı altında anahtar = değer satırları"),
    ],
)
def test_a_wrong_value_is_explained_in_turkish(tmp_path, body, line):
    path = tmp_path / "c.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert str(caught.value) == f"Yapılandırma hatası ({path}):\n  - {line}"


def test_a_value_from_the_environment_names_its_variable(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_config(environ={"KUME_CALENDAR_DUE_DAYS": "on beş", "KUME_TELEGRAM_ADMINS": "5,x"})
    assert str(caught.value) == (
        "Yapılandırma hatası (varsayılanlar):\n"
        "  - telegram.admins, 2. öğe (KUME_TELEGRAM_ADMINS ortam değişkeni): bir tam sayı "
        'olmalı, örn. 15 (verilen: "x")\n'
        "  - calendar.due_days (KUME_CALENDAR_DUE_DAYS ortam değişkeni): bir tam sayı olmalı, "
        'örn. 15 (verilen: "on beş")'
    )


def test_a_secret_is_never_shown_in_a_configuration_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(
        "[telegram]\ntoken = 1234567\nwebhook_secret = [\"Gizli-Webhook\"]\n"
        'tokne = "123:Gizli-Yanlis-Anahtar"\n'
        '[database]\nurl = ["postgresql://kume:Gizli-Parola@db/kume"]\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert "1234567" not in message and "Gizli" not in message
    assert message.splitlines()[1:] == [
        "  - database.url: tırnak içinde bir metin olmalı, örn. \"abc\" (verilen değer gizli)",
        "  - telegram.token: tırnak içinde bir metin olmalı, örn. \"abc\" (verilen değer gizli)",
        "  - telegram.webhook_secret: tırnak içinde bir metin olmalı, örn. \"abc\" "
        "(verilen değer gizli)",
        "  - bilinmeyen anahtar: telegram.tokne",
    ]
    path.write_text('telegram = "123:Gizli-Jeton"\n', encoding="utf-8")  # a misplaced token
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    assert "Gizli" not in str(caught.value) and "telegram: bir bölüm olmalı" in str(caught.value)


def test_what_a_person_typed_cannot_drive_the_terminal(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[calendar]\n"due\\u001b[2Jdays" = 1\nsend_time = "\\u001b[31m\\u009b"\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, environ={})
    message = str(caught.value)
    assert "\x1b" not in message and "\x9b" not in message
    assert "bilinmeyen anahtar: calendar.due\\u001b[2Jdays" in message
    assert '(verilen: "\\u001b[31m\\u009b")' in message


def test_other_kinds_of_value_are_explained_in_turkish_too():
    """Boolean, decimal and required keys, as a future section would have them."""
    from pydantic import BaseModel, SecretStr, ValidationError

    from kume.config import Config, _describe, _Section

    class MailConfig(_Section):
        enabled: bool = False
        rate: float = 1.0
        host: str
        password: SecretStr | None = None

    class ConfigWithMail(Config):
        mail: MailConfig

    def problems(data: dict) -> list[str]:
        with pytest.raises(ValidationError) as caught:
            ConfigWithMail.model_validate(data)
        model: type[BaseModel] = ConfigWithMail
        return _describe(caught.value, "c.toml", model, {}).splitlines()[1:]

    assert problems({"mail": {"enabled": "belki", "rate": "hızlı", "password": 42}}) == [
        '  - mail.enabled: true ya da false olmalı (verilen: "belki")',
        '  - mail.rate: bir sayı olmalı, örn. 2.5 (verilen: "hızlı")',
        "  - mail.host: değer gerekli",
        '  - mail.password: tırnak içinde bir metin olmalı, örn. "abc" (verilen değer gizli)',
    ]
    assert problems({}) == ["  - mail: değer gerekli"]
