"""tracker.rows: the typed handles on SQLModel rows behave as their types promise."""

from __future__ import annotations

import pytest
from sqlmodel import col

from tracker.db import session_scope
from tracker.models import Cluster, Notification, Person, Role
from tracker.rows import (
    NoOrganisationError,
    UnsavedRowError,
    column_length,
    id_of,
    organisation_id_of,
    select_columns,
)


def test_a_row_has_an_id_once_flushed_and_not_before(engine):
    with session_scope(engine) as session:
        person = Person(display_name="Ayşe", role=Role.MEMBER)
        with pytest.raises(UnsavedRowError):
            id_of(person)
        session.add(person)
        session.flush()
        assert id_of(person) == person.id
        assert isinstance(id_of(person), int)


def test_only_a_person_of_an_organisation_answers_for_one():
    assert organisation_id_of(Person(display_name="A", role=Role.REPORTER, organisation_id=7)) == 7
    with pytest.raises(NoOrganisationError):
        organisation_id_of(Person(display_name="B", role=Role.MEMBER))


def test_a_wide_select_runs_through_session_exec(engine):
    with session_scope(engine) as session:
        rows = session.exec(
            select_columns(col(Cluster.id), col(Cluster.code), col(Cluster.name),
                           col(Cluster.position), col(Cluster.id).label("again"))
            .order_by(col(Cluster.position))).all()
    assert rows
    assert all(len(row) == 5 and row[0] == row[4] for row in rows)


def test_a_text_column_tells_its_length():
    assert column_length(Notification, "last_error") == 500  # Field(max_length=500)
    with pytest.raises(TypeError):
        column_length(Notification, "attempts")
