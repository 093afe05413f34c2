"""The `kume` command line."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path
from typing import Any

import click
from sqlalchemy.engine import Engine

from kume import redaction
from kume.config import Config, ConfigError, load_config, secret_values
from tracker import texts
from tracker.db import create_db_engine, safe_url, session_scope
from tracker.errors import DomainError
from tracker.planfile import FORMATS, PlanImportError

logger = logging.getLogger(__name__)


class App:
    """What every command needs, created on first use so `--help` needs no database."""

    def __init__(self, config_path: str | None, verbose: bool = False):
        self.config_path = config_path
        self.verbose = verbose
        self._config: Config | None = None
        self._engine: Engine | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
            # Before anything can log: from here on no secret of the configuration is written.
            redaction.protect(secret_values(self._config))
            # Commands print their own results; the log speaks up only for problems unless
            # asked (-v) or for the long-running bot, which logs at the configured level.
            logging.basicConfig(
                level=self._config.logging.level if self.verbose else logging.WARNING,
                format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            )
        return self._config

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_db_engine(self.config.database.url)
            logger.info("database: %s", safe_url(self.config.database.url))
        return self._engine

    @property
    def ready_engine(self) -> Engine:
        """The engine of a database that `kume db upgrade` has prepared."""
        from tracker.schema import require_current_schema

        require_current_schema(self.engine)
        return self.engine


def echo(template: str, **params: Any) -> None:
    click.echo(texts.render(template, **params))


def say_error(message: str) -> None:
    """One error line on stderr, secrets masked."""
    click.echo(redaction.clean(texts.render("cli/error.j2", message=message)), err=True)


pass_app = click.make_pass_decorator(App)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    help="Yapılandırma dosyası (varsayılan: KUME_CONFIG ya da ./config.toml).",
)
@click.option("-v", "--verbose", is_flag=True, help="Ayrıntılı günlük.")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, verbose: bool) -> None:
    """kume: kalkınma ajansları için eylem planı takibi ve Telegram botu."""
    ctx.obj = App(config_path, verbose)


@cli.group()
def db() -> None:
    """Veritabanı işlemleri."""


@db.command("upgrade")
@pass_app
def db_upgrade(app: App) -> None:
    """Şemayı oluşturur ya da günceller; boş veritabanına hazır planı yükler."""
    from tracker.setup import prepare_database

    result = prepare_database(app.engine)
    echo("cli/db_upgrade.j2", result=result, url=safe_url(app.config.database.url))


@cli.group()
def plan() -> None:
    """Eylem planını gösterir, dışa ve içe aktarır."""


@plan.command("show")
@click.argument("code", required=False)
@click.option("--plan", "plan_code", help="Plan kodu (birden fazla plan varsa).")
@pass_app
def plan_show(app: App, code: str | None, plan_code: str | None) -> None:
    """Planı ağaç olarak ya da tek bir öğeyi (ör. E1.2.4) ayrıntılı gösterir."""
    from tracker.plans import find_item, plan_tree, resolve_plan

    with session_scope(app.ready_engine) as session:
        tree = plan_tree(session, resolve_plan(session, plan_code))
        if code is None:
            echo("cli/plan_show.j2", tree=tree)
        else:
            echo("cli/plan_item.j2", tree=tree, item=find_item(tree, code))


@plan.command("export")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)
@click.option("--out", "out", required=True, help="Çıktı dosyası; “-” standart çıktı.")
@click.option("--plan", "plan_code", help="Plan kodu (birden fazla plan varsa).")
@pass_app
def plan_export(app: App, fmt: str, out: str, plan_code: str | None) -> None:
    """Planı JSON, XLSX ya da CSV olarak yazar."""
    from tracker.planfile import export_plan
    from tracker.plans import resolve_plan

    with session_scope(app.ready_engine) as session:
        data = export_plan(session, resolve_plan(session, plan_code), fmt)
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        Path(out).write_bytes(data)
        echo("cli/plan_exported.j2", path=out, fmt=fmt, size=len(data))


@plan.command("import")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_app
def plan_import(app: App, path: Path) -> None:
    """Bir plan dosyasını yükler; hata varsa hiçbir şeyi değiştirmez."""
    from tracker.planfile import import_plan
    from tracker.plans import plan_tree

    with session_scope(app.ready_engine) as session:
        tree = plan_tree(session, import_plan(session, path, shown_name=str(path)))
    echo("cli/plan_imported.j2", tree=tree)


@cli.group()
def orgs() -> None:
    """Kuruluşlar."""


@orgs.command("list")
@pass_app
def orgs_list(app: App) -> None:
    """Kayıtlı kuruluşları ve grupları listeler."""
    from tracker.organisations import list_organisations

    with session_scope(app.ready_engine) as session:
        echo("cli/orgs_list.j2", organisations=list_organisations(session))


@cli.group("export")
def export_group() -> None:
    """Kayıtlı verileri dışa aktarır."""


def _quarter_option(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    from tracker.quarters import Quarter, QuarterError

    if value is None:
        return None
    try:
        return Quarter.parse(value)
    except QuarterError as exc:
        raise click.BadParameter(texts.describe(exc), ctx=ctx, param=param) from exc


@export_group.command("updates")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("json", "csv", "xlsx")),
    default="json",
    show_default=True,
)
@click.option("--out", "out", required=True, help="Çıktı dosyası; “-” standart çıktı.")
@click.option("--plan", "plan_code", help="Plan kodu (birden fazla plan varsa).")
@click.option(
    "--since", metavar="ÇEYREK", callback=_quarter_option, help="Bu çeyrekten (dahil), ör. 2014Q1."
)
@click.option(
    "--until",
    metavar="ÇEYREK",
    callback=_quarter_option,
    help="Bu çeyreğe kadar (dahil), ör. 2014Q4.",
)
@pass_app
def export_updates(
    app: App, fmt: str, out: str, plan_code: str | None, since: Any, until: Any
) -> None:
    """Durum güncellemelerini ve gösterge değerlerini tüm sürümleriyle yazar."""
    from tracker.plans import resolve_plan
    from tracker.updates_export import collect_updates, render

    with session_scope(app.ready_engine) as session:
        exported = collect_updates(session, resolve_plan(session, plan_code), since, until)
    data = render(exported, fmt)
    if out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        Path(out).write_bytes(data)
        echo(
            "cli/updates_exported.j2",
            path=out,
            fmt=fmt,
            statuses=len(exported.status_updates),
            values=len(exported.indicator_values),
            size=len(data),
        )


@cli.command("invite")
@click.option("--org", "organisation", required=True, help="Kuruluşun kısa adı, ör. EBSO.")
@click.option("--role", required=True, help="admin/agency/reporter/secretary/member ya da "
              "yönetici/ajans/sorumlu/sekreter/üye.")
@click.option("--cluster", help="Küme kodu, ör. organik-gida (üye davetinde gerekli).")
@click.option("--multi", is_flag=True, help="Bağlantıyı birden fazla kişi kullanabilir.")
@click.option("--days", type=int, default=14, show_default=True, help="Geçerlilik süresi (gün).")
@pass_app
def invite(
    app: App, organisation: str, role: str, cluster: str | None, multi: bool, days: int
) -> None:
    """Davet bağlantısı oluşturur; ilk satır t.me bağlantısıdır."""
    from tracker.clock import Clock
    from tracker.people import create_invite, parse_role

    parsed = parse_role(role)
    with session_scope(app.ready_engine) as session:
        created = create_invite(
            session,
            organisation=organisation,
            role=parsed,
            cluster=cluster,
            multi=multi,
            days=days,
            now=Clock(app.config.clock.start).now(),
        )
        text = texts.render(
            "cli/invite_created.j2",
            created=created,
            link=created.link(app.config.telegram.username),
            days=days,
        )
    click.echo(text)


@cli.command("run")
@pass_app
def run(app: App) -> None:
    """Botu çalıştırır; jeton yapılandırılmamışsa simülatörü açar."""
    from tracker.setup import prepare_database

    config = app.config
    if config.telegram.token is None:
        from bot.simulator import run_interactive

        click.echo(texts.say("cli/simulator.j2", "no_token"))
        status = run_interactive(config)
        if status:
            sys.exit(status)
        return
    from bot.runner import run_bot

    logging.getLogger().setLevel(logging.DEBUG if app.verbose else config.logging.level)
    prepare_database(app.engine)
    run_bot(config)


def _when_option(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    from bot.simulator import parse_when

    return None if value is None else parse_when(value)


@cli.command("simulate")
@click.option(
    "--script",
    "script",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Senaryo dosyası: satır başına bir giriş; döküm yazılır.",
)
@click.option("--as", "persona", help="Başlangıç kişisi (numara ya da ad, ör. “İZKA uzmanı”).")
@click.option(
    "--date",
    "date",
    metavar="ISO",
    callback=_when_option,
    help="Simülasyon tarihi, ör. 2014-07-05 ya da 2014-07-05T10:00+03:00.",
)
@pass_app
def simulate(app: App, script: Path | None, persona: str | None, date: Any) -> None:
    """Telegram olmadan, terminalde gerçek botla yazışma."""
    from bot.simulator import run_interactive, run_script

    if script is not None:
        status = run_script(app.config, script, persona=persona, date=date)
    else:
        status = run_interactive(app.config, persona=persona, date=date)
    if status:
        sys.exit(status)


# Commands kept in their own modules register themselves on `cli` when imported.
import kume.cli_outbox  # noqa: E402, F401
import kume.cli_report  # noqa: E402, F401


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except BrokenPipeError:
        # `kume plan export --out - | head`: the reader left; that is not an error.
        sys.stderr.close()
        sys.exit(0)
    except click.ClickException as exc:
        shown = io.StringIO()
        exc.show(file=shown)
        sys.stderr.write(redaction.clean(shown.getvalue()))
        sys.exit(exc.exit_code)
    except DomainError as exc:
        say_error(texts.describe(exc))
        sys.exit(1)
    except (ConfigError, PlanImportError) as exc:
        say_error(str(exc))
        sys.exit(2 if isinstance(exc, ConfigError) else 1)
    except Exception:
        # A bug: its traceback is needed to fix it, and goes out through logging, which masks
        # the secrets (kume.redaction) as in every other log line.
        logger.critical(texts.say("cli/failures.j2", "unexpected"), exc_info=True)
        sys.exit(1)
