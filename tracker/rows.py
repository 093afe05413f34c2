"""Typed handles on SQLModel rows and queries, so mypy checks them without ignores.

SQLModel declares a table's `id` as `int | None` (None until the row is flushed) and a model's
class attributes as their Python types (`Action.code` is a `str` to mypy, not a column). So a
saved row's id goes through `id_of` (an `int`, or an error if the row was never flushed), a
reporter's organisation through `organisation_id_of` (members have none), a column used in an
expression or a select through `sqlmodel.col`, a select of more columns than
`sqlmodel.select`'s overloads type through `select_columns`, and a text column's declared
length through `column_length`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa
from sqlmodel import SQLModel
from sqlmodel.sql.expression import Select

from tracker.models import Person

if TYPE_CHECKING:
    from sqlalchemy.sql._typing import _ColumnsClauseArgument


class Persisted(Protocol):
    """A table row: its id is set once the row is flushed."""

    @property
    def id(self) -> int | None: ...


class UnsavedRowError(RuntimeError):
    """A row's id was asked for before the row reached the database (a bug, not bad input)."""


def id_of(row: Persisted) -> int:
    """The id of a row that is in the database; raises if the row was never flushed."""
    if row.id is None:
        raise UnsavedRowError(f"{type(row).__name__} has no id yet: add and flush it first")
    return row.id


def select_columns(*columns: _ColumnsClauseArgument[Any]) -> Select[*tuple[Any, ...]]:
    """`sqlmodel.select` of any number of columns (its overloads stop at four), as
    `session.exec` accepts it; the rows are untyped tuples."""
    return Select(*columns)


class NoOrganisationError(RuntimeError):
    """A person with no organisation (a cluster member) reached a step meant for reporters."""


def organisation_id_of(person: Person) -> int:
    """The organisation a person answers for; every role but member has one (tracker.people
    keeps it so), and access rules keep members out of what calls this."""
    if person.organisation_id is None:
        raise NoOrganisationError(f"person {person.id} belongs to no organisation")
    return person.organisation_id


def column_length(model: type[SQLModel], column: str) -> int:
    """The most characters a text column of `model`'s table holds (its declared length)."""
    # SQLModel's AutoString is a TypeDecorator: it answers `length` for the String it wraps.
    length = getattr(sa.inspect(model).columns[column].type, "length", None)
    if not isinstance(length, int):
        raise TypeError(f"{model.__name__}.{column} is not a text column of declared length")
    return length


def table_of(model: type[SQLModel]) -> sa.Table:
    """A table model's `Table` (SQLModel does not declare `__table__` to the type checker)."""
    table = sa.inspect(model).local_table
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table
