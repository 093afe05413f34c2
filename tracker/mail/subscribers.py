"""E-mail subscribers: a list imported as people really export it, kept with its consent.

`read_subscribers` reads CSV (UTF-8 with or without a BOM, or Windows-1254 as Turkish Excel
saves it; comma or semicolon, sniffed) and XLSX, with the columns email, name (ad, isim, ad
soyad…) and optional clusters (codes separated by "," or ";"). Every line whose address
email-validator refuses (syntax only, no DNS) is reported with its line number; the others
are imported by `import_subscribers`, merged case-insensitively with those already known
(`email_key`), each with its consent source and date.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlmodel import Session, col, select

from tracker.mail.outbox import address_key
from tracker.models import Cluster, Subscriber, SubscriberCluster
from tracker.rows import column_length, id_of
from tracker.spreadsheets import from_csv_text
from tracker.turkish import clean, fold

# Column titles as people write them, folded (tracker.turkish.fold).
EMAIL_TITLES = {"email", "e-mail", "e-posta", "eposta", "mail", "e posta", "posta"}
NAME_TITLES = {"name", "ad", "adi", "isim", "ad soyad", "adi soyadi", "ad-soyad", "ad soyadi",
               "full name", "kisi"}
CLUSTER_TITLES = {"clusters", "cluster", "kume", "kumeler", "kume kodu", "kume kodlari"}
_CODE_SPLIT = re.compile(r"[,;]")
NAME_LENGTH = column_length(Subscriber, "name")
EMAIL_LENGTH = column_length(Subscriber, "email")


@dataclass(frozen=True)
class SubscriberLine:
    line: int
    email: str
    name: str
    clusters: tuple[str, ...] = ()


@dataclass(frozen=True)
class LineProblem:
    line: int | None  # None: the file as a whole
    code: str  # a macro of templates/cli/subscribers.j2: invalid_email, unknown_cluster, …
    value: str = ""


@dataclass
class ReadResult:
    lines: list[SubscriberLine] = field(default_factory=list)
    problems: list[LineProblem] = field(default_factory=list)


@dataclass
class ImportReport:
    added: int = 0
    merged: int = 0  # already known (or twice in the file): updated, not duplicated


def read_subscribers(path: Path) -> ReadResult:
    data = path.read_bytes()
    try:
        if path.suffix.casefold() in (".xlsx", ".xlsm"):
            table = list(_xlsx_rows(data))
        else:
            table = list(_csv_rows(data))
    except (csv.Error, ValueError, OSError, KeyError, TypeError):
        return ReadResult(problems=[LineProblem(None, "unreadable")])
    return _lines(table)


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    text = _decoded(data)
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;")
    except csv.Error:  # one column, or nothing to judge by: the header line decides
        first = sample.splitlines()[0] if sample else ""
        dialect = "excel-semicolon" if first.count(";") > first.count(",") else "excel"
    if dialect == "excel-semicolon":
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    else:
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
    for row in reader:
        yield reader.line_num, [from_csv_text(cell) for cell in row]


def _decoded(data: bytes) -> str:
    """UTF-8 (a BOM dropped), else Windows-1254: what Excel in Turkish saves as "CSV"."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1254", errors="replace")


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    # openpyxl takes 0.1-0.2 s to import; only an XLSX file needs it.
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        yield number, ["" if cell is None else str(cell) for cell in row]


def _lines(table: Sequence[tuple[int, list[str]]]) -> ReadResult:
    result = ReadResult()
    rows = [(n, row) for n, row in table if any(cell.strip() for cell in row)]
    if not rows:
        result.problems.append(LineProblem(None, "empty_file"))
        return result
    _, header = rows[0]
    titles = [fold(cell) for cell in header]
    email_at = _column(titles, EMAIL_TITLES)
    if email_at is None:
        result.problems.append(LineProblem(1, "no_email_column"))
        return result
    name_at = _column(titles, NAME_TITLES)
    clusters_at = _column(titles, CLUSTER_TITLES)
    for number, row in rows[1:]:
        raw = _cell(row, email_at)
        try:
            email = _valid_email(raw)
        except EmailNotValidError:
            result.problems.append(LineProblem(number, "invalid_email", raw))
            continue
        codes = tuple(code for part in _CODE_SPLIT.split(_cell(row, clusters_at))
                      if (code := part.strip()))
        result.lines.append(SubscriberLine(number, email, _cell(row, name_at)[:NAME_LENGTH],
                                           codes))
    return result


def _column(titles: list[str], wanted: set[str]) -> int | None:
    return next((index for index, title in enumerate(titles) if title in wanted), None)


def _cell(row: list[str], index: int | None) -> str:
    return clean(row[index]) if index is not None and index < len(row) else ""


def _valid_email(raw: str) -> str:
    if not raw or len(raw) > EMAIL_LENGTH:
        raise EmailNotValidError("empty or too long")
    # Syntax only: no DNS lookups (an import must not depend on the network), and no
    # internationalised local part, which needs SMTPUTF8 from every server on the way.
    checked = validate_email(raw, check_deliverability=False, allow_smtputf8=False)
    return str(checked.normalized)


def check_clusters(session: Session, lines: Sequence[SubscriberLine]) -> list[LineProblem]:
    """A cluster code nobody knows, on each line that names one."""
    known = {fold(code) for code in session.exec(select(Cluster.code)).all()}
    return [LineProblem(line.line, "unknown_cluster", code)
            for line in lines for code in line.clusters if fold(code) not in known]


def import_subscribers(session: Session, lines: Sequence[SubscriberLine], *, source: str,
                       now: datetime) -> ImportReport:
    """Add the lines' subscribers, merging by address whatever its case; a name given fills
    in a known subscriber's, clusters are added. Someone who unsubscribed stays unsubscribed:
    an old list must not sign them up again."""
    report = ImportReport()
    clusters = {fold(c.code): id_of(c) for c in session.exec(select(Cluster)).all()}
    known = {s.email_key: s for s in session.exec(select(Subscriber)).all()}
    links = set(session.exec(select(SubscriberCluster.subscriber_id,
                                    SubscriberCluster.cluster_id)).all())
    for line in lines:
        key = address_key(line.email)
        subscriber = known.get(key)
        if subscriber is None:
            subscriber = Subscriber(email=line.email, email_key=key, name=line.name,
                                    consent_source=source[:200], consent_at=now,
                                    created_at=now)
            session.add(subscriber)
            session.flush()
            known[key] = subscriber
            report.added += 1
        else:
            if line.name and not subscriber.name:
                subscriber.name = line.name
                session.add(subscriber)
            report.merged += 1
        for code in line.clusters:
            cluster_id = clusters.get(fold(code))
            if cluster_id is None or (id_of(subscriber), cluster_id) in links:
                continue
            session.add(SubscriberCluster(subscriber_id=id_of(subscriber), cluster_id=cluster_id))
            links.add((id_of(subscriber), cluster_id))
    session.flush()
    return report


def list_subscribers(session: Session) -> list[tuple[Subscriber, list[str]]]:
    """Every subscriber with their cluster codes, by address."""
    codes: dict[int, list[str]] = {}
    for subscriber_id, code in session.exec(
            select(SubscriberCluster.subscriber_id, Cluster.code)
            .join(Cluster, col(Cluster.id) == SubscriberCluster.cluster_id)
            .order_by(col(Cluster.code))).all():
        codes.setdefault(subscriber_id, []).append(code)
    subscribers = session.exec(select(Subscriber).order_by(col(Subscriber.email_key))).all()
    return [(s, codes.get(id_of(s), [])) for s in subscribers]


def remove_subscriber(session: Session, email: str, now: datetime) -> bool:
    """Unsubscribe an address (kept, with the date, so no later import signs it up again);
    False if nobody has it."""
    subscriber = session.exec(
        select(Subscriber).where(col(Subscriber.email_key) == address_key(email))).first()
    if subscriber is None:
        return False
    end_subscription(session, subscriber, now)
    return True


def end_subscription(session: Session, subscriber: Subscriber, now: datetime) -> None:
    """No more bulletins. Doing it twice keeps the first moment: the link opened again, a mail
    provider's one-click POST after the person's own, `kume subscribers remove` after either."""
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = now
        session.add(subscriber)


def subscriber_state(subscriber: Subscriber) -> str:
    """active, unsubscribed or bounced (words in templates/cli/subscribers.j2)."""
    if subscriber.unsubscribed_at is not None:
        return "unsubscribed"
    if subscriber.bounced_at is not None:
        return "bounced"
    return "active"


def export_rows(session: Session) -> list[list[Any]]:
    """The list as CSV rows (header first) for tracker.spreadsheets.csv_bytes."""
    rows: list[list[Any]] = [["email", "name", "clusters", "consent_source", "consent_at",
                              "state"]]
    for subscriber, codes in list_subscribers(session):
        rows.append([subscriber.email, subscriber.name, ";".join(codes),
                     subscriber.consent_source, subscriber.consent_at.isoformat(),
                     subscriber_state(subscriber)])
    return rows


def active_subscribers(session: Session, cluster_codes: Sequence[str] = ()) -> list[Subscriber]:
    """Who gets a bulletin by e-mail now: not unsubscribed, not bounced (of these clusters,
    if given)."""
    query = select(Subscriber).where(col(Subscriber.unsubscribed_at).is_(None),
                                     col(Subscriber.bounced_at).is_(None))
    if cluster_codes:
        query = query.where(col(Subscriber.id).in_(
            select(SubscriberCluster.subscriber_id)
            .join(Cluster, col(Cluster.id) == SubscriberCluster.cluster_id)
            .where(col(Cluster.code).in_(list(cluster_codes)))))
    return list(session.exec(query.order_by(col(Subscriber.id))).all())
