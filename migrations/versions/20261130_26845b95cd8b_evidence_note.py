"""evidence note: the caption sent with an evidence file

Revision ID: 26845b95cd8b
Revises: f718f4ceb333
Create Date: 2026-11-30 13:22:26.223845
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "26845b95cd8b"
down_revision: str | None = "f718f4ceb333"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("status_update", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "evidence_note", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("status_update", schema=None) as batch_op:
        batch_op.drop_column("evidence_note")
