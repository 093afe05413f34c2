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
