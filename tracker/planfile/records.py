"""Rows read from a plan file, each knowing where it stands in the file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tracker import texts
from tracker.planfile.layout import TABLE_BY_KEY

FileKind = Literal["json", "yaml", "csv", "xlsx"]


@dataclass
class Record:
    table: str
    row: int  # as the person sees it: list position, CSV line or sheet row (1-based)
    values: dict[str, Any]
    # Where each column stands, for messages: the column letter in a sheet, else None.
    letters: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a plan file, located to the row and column."""

    file: str
    kind: FileKind
    table: str
    row: int | None
    column: str | None
    message: str
    letter: str | None = None

    def describe(self) -> str:
        table = TABLE_BY_KEY.get(self.table)
        column_label = None
        if table is not None and self.column is not None:
            column_label = next(
                (c.label for c in table.columns if c.key == self.column), self.column
            )
        return texts.say(
            "texts/plan_import.j2",
            "located",
            file=self.file,
            kind=self.kind,
            table=self.table,
            table_label=table.label if table else self.table,
            row=self.row,
            column=self.column,
            column_label=column_label,
            letter=self.letter,
            message=self.message,
        )


class PlanImportError(Exception):
    """The file cannot be imported; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(p.describe() for p in problems))
