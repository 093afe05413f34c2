"""The tables of a plan file: the JSON keys and their Turkish sheet and column names.

JSON/YAML documents use the keys; spreadsheets (XLSX, one sheet per table) and CSV (one file,
the table named in the first column) use the Turkish labels.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    is_list: bool = False


@dataclass(frozen=True)
class Table:
    key: str
    label: str
    columns: tuple[Column, ...]
    single: bool = False  # the `plan` table holds one object, not a list

    def column(self, key: str) -> Column:
        return next(c for c in self.columns if c.key == key)


TABLES: tuple[Table, ...] = (
    Table(
        "plan",
        "Plan",
        (
            Column("code", "kod"),
            Column("title", "başlık"),
            Column("start", "başlangıç"),
            Column("end", "bitiş"),
            Column("source", "kaynak"),
        ),
        single=True,
    ),
    Table("priorities", "Öncelikler", (Column("code", "kod"), Column("title", "başlık"))),
    Table(
        "goals",
        "Hedefler",
        (Column("code", "kod"), Column("priority", "öncelik"), Column("title", "başlık")),
    ),
    Table(
        "actions",
        "Eylemler",
        (
            Column("code", "kod"),
            Column("goal", "hedef"),
            Column("title", "başlık"),
            Column("responsible", "sorumlular", is_list=True),
            Column("quarters", "çeyrekler", is_list=True),
            Column("schedule_is_default", "takvim varsayılan"),
        ),
    ),
    Table(
        "indicators",
        "Göstergeler",
        (
            Column("code", "kod"),
            Column("title", "başlık"),
            Column("level", "düzey"),
            Column("unit", "birim"),
            Column("type", "tip"),
            Column("min", "en az"),
            Column("max", "en çok"),
            Column("measure_is_assumed", "ölçü varsayılan"),
            Column("note", "not"),
        ),
    ),
    Table("clusters", "Kümeler", (Column("code", "kod"), Column("name", "ad"))),
    Table(
        "organisations",
        "Kuruluşlar",
        (
            Column("short", "kısa ad"),
            Column("name", "ad"),
            Column("kind", "tür"),
            Column("members", "üyeler", is_list=True),
            Column("cluster", "küme"),
            Column("note", "not"),
        ),
    ),
    Table(
        "scorecard",
        "Küme Karnesi",
        (Column("sector", "sektör"), Column("index", "endeks"), Column("category", "kategori")),
    ),
    Table(
        "scorecard_advice",
        "Karne Önerileri",
        (Column("category", "kategori"), Column("text", "öneri")),
    ),
)

TABLE_BY_KEY = {t.key: t for t in TABLES}
TABLE_BY_LABEL = {t.label: t for t in TABLES}
CSV_TABLE_COLUMN = "tablo"
LIST_SEPARATOR = "; "
