"""members (consent, follows), events (audience, RSVPs), cluster chats, bulletins, e-mail
subscribers and the e-mail outbox; person and invite may have no organisation (members)

Revision ID: f28989499d50
Revises: 8f33d95f3c8a
Create Date: 2026-11-30 15:51:30.067895
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "f28989499d50"
down_revision: str | None = "8f33d95f3c8a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("email_key", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("consent_source", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("consent_at", sa.DateTime(), nullable=False),
        sa.Column("unsubscribed_at", sa.DateTime(), nullable=True),
        sa.Column("bounced_at", sa.DateTime(), nullable=True),
        sa.Column("bounce_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscriber")),
        sa.UniqueConstraint("email_key", name=op.f("uq_subscriber_email_key")),
    )
    op.create_table(
        "subscriber_cluster",
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_subscriber_cluster_cluster_id_cluster")
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name=op.f("fk_subscriber_cluster_subscriber_id_subscriber"),
        ),
        sa.PrimaryKeyConstraint("subscriber_id", "cluster_id", name=op.f("pk_subscriber_cluster")),
    )
    op.create_table(
        "bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("frozen_html", sa.Text(), nullable=True),
        sa.Column("frozen_text", sa.Text(), nullable=True),
        sa.Column("frozen_telegram", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name=op.f("fk_bulletin_created_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin")),
        sa.UniqueConstraint("period", name=op.f("uq_bulletin_period")),
    )
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bulletin_status"), ["status"], unique=False)

    op.create_table(
        "cluster_chat",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_cluster_chat_cluster_id_cluster")
        ),
        sa.ForeignKeyConstraint(
            ["linked_by_id"], ["person.id"], name=op.f("fk_cluster_chat_linked_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_chat")),
        sa.UniqueConstraint("chat_id", name=op.f("uq_cluster_chat_chat_id")),
    )
    with op.batch_alter_table("cluster_chat", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cluster_chat_cluster_id"), ["cluster_id"], unique=False
        )

    op.create_table(
        "cluster_follow",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_cluster_follow_cluster_id_cluster")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_cluster_follow_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cluster_follow")),
    )
    with op.batch_alter_table("cluster_follow", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cluster_follow_cluster_id"), ["cluster_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_cluster_follow_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(), nullable=False),
        sa.Column("ends_at", sa.DateTime(), nullable=True),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("online_url", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("description", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=True),
        sa.Column("all_members", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("rejection_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("checkin_token", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("manual_attendance", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"], ["action.id"], name=op.f("fk_event_action_id_action")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["person.id"], name=op.f("fk_event_created_by_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["person.id"], name=op.f("fk_event_decided_by_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event")),
        sa.UniqueConstraint("checkin_token", name=op.f("uq_event_checkin_token")),
    )
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_action_id"), ["action_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_starts_at"), ["starts_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_status"), ["status"], unique=False)

    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("period", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("subject_line", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("message_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_mail_outbox_person_id_person")
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscriber.id"],
            name=op.f("fk_mail_outbox_subscriber_id_subscriber"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_mail_outbox_key")),
    )
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mail_outbox_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mail_outbox_not_before"), ["not_before"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_mail_outbox_status"), ["status"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_mail_outbox_subscriber_id"), ["subscriber_id"], unique=False
        )

    op.create_table(
        "bulletin_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("link", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("image_file_id", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("image_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("image_alt", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bulletin_id"], ["bulletin.id"], name=op.f("fk_bulletin_item_bulletin_id_bulletin")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulletin_item")),
    )
    with op.batch_alter_table("bulletin_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bulletin_item_bulletin_id"), ["bulletin_id"], unique=False
        )

    op.create_table(
        "event_audience",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("cluster_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cluster_id"], ["cluster.id"], name=op.f("fk_event_audience_cluster_id_cluster")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["event.id"], name=op.f("fk_event_audience_event_id_event")
        ),
        sa.PrimaryKeyConstraint("event_id", "cluster_id", name=op.f("pk_event_audience")),
    )
    with op.batch_alter_table("event_audience", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_audience_cluster_id"), ["cluster_id"], unique=False
        )

    op.create_table(
        "rsvp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("waiting_since", sa.DateTime(), nullable=True),
        sa.Column("attended_at", sa.DateTime(), nullable=True),
        sa.Column("satisfaction", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["event.id"], name=op.f("fk_rsvp_event_id_event")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_rsvp_person_id_person")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rsvp")),
        sa.UniqueConstraint("event_id", "person_id", name=op.f("uq_rsvp_event_id_person_id")),
    )
    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rsvp_event_id"), ["event_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_rsvp_person_id"), ["person_id"], unique=False)

    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("firm", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "consent_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
            )
        )
        batch_op.add_column(sa.Column("consent_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("stopped_at", sa.DateTime(), nullable=True))
        # Everyone already registered gets bulletins unless they opt out.
        batch_op.add_column(
            sa.Column("bulletins", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.alter_column("organisation_id", existing_type=sa.INTEGER(), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("bulletins")
        batch_op.drop_column("stopped_at")
        batch_op.drop_column("consent_at")
        batch_op.drop_column("consent_version")
        batch_op.drop_column("firm")

    with op.batch_alter_table("invite", schema=None) as batch_op:
        batch_op.alter_column("organisation_id", existing_type=sa.INTEGER(), nullable=False)

    with op.batch_alter_table("rsvp", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rsvp_person_id"))
        batch_op.drop_index(batch_op.f("ix_rsvp_event_id"))

    op.drop_table("rsvp")
    with op.batch_alter_table("event_audience", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_audience_cluster_id"))

    op.drop_table("event_audience")
    with op.batch_alter_table("bulletin_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_item_bulletin_id"))

    op.drop_table("bulletin_item")
    with op.batch_alter_table("mail_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mail_outbox_subscriber_id"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_status"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_not_before"))
        batch_op.drop_index(batch_op.f("ix_mail_outbox_kind"))

    op.drop_table("mail_outbox")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_status"))
        batch_op.drop_index(batch_op.f("ix_event_starts_at"))
        batch_op.drop_index(batch_op.f("ix_event_action_id"))

    op.drop_table("event")
    with op.batch_alter_table("cluster_follow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cluster_follow_person_id"))
        batch_op.drop_index(batch_op.f("ix_cluster_follow_cluster_id"))

    op.drop_table("cluster_follow")
    with op.batch_alter_table("cluster_chat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cluster_chat_cluster_id"))

    op.drop_table("cluster_chat")
    with op.batch_alter_table("bulletin", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bulletin_status"))

    op.drop_table("bulletin")
    op.drop_table("subscriber_cluster")
    op.drop_table("subscriber")
