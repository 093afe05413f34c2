"""broadcasts: many rows under one id, their progress and report; the sender's queue index

Revision ID: 8f33d95f3c8a
Revises: 26845b95cd8b
Create Date: 2026-11-30 14:18:02.498855
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "8f33d95f3c8a"
down_revision: str | None = "26845b95cd8b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "broadcast",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("started_by_id", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("progress_id", sa.Integer(), nullable=True),
        sa.Column("progress_edited_at", sa.DateTime(), nullable=True),
        sa.Column("progress_shown", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["started_by_id"], ["person.id"], name=op.f("fk_broadcast_started_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast")),
    )
    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_broadcast_finished_at"), ["finished_at"])

    with op.batch_alter_table("notification", schema=None) as batch_op:
        # Existing rows have sent no part of a long text yet.
        batch_op.add_column(
            sa.Column("parts_sent", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_notification_broadcast_id"), ["broadcast_id"])
        batch_op.create_index("ix_notification_queue", ["status", "not_before", "id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_notification_broadcast_id_broadcast"),
            "broadcast",
            ["broadcast_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_notification_broadcast_id_broadcast"), type_="foreignkey"
        )
        batch_op.drop_index("ix_notification_queue")
        batch_op.drop_index(batch_op.f("ix_notification_broadcast_id"))
        batch_op.drop_column("broadcast_id")
        batch_op.drop_column("parts_sent")

    with op.batch_alter_table("broadcast", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadcast_finished_at"))

    op.drop_table("broadcast")
