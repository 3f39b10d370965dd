"""follow-ups: a family's consented check-in (while it runs), its anonymous outcome, the answer on the case

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_key", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("asks", sa.SmallInteger(), nullable=False),
        sa.Column("offer_id", sa.String(length=120), nullable=True),
        sa.Column("offer_title", sa.String(length=300), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_outcome", sa.String(length=24), nullable=True),
        sa.Column("network", sa.String(length=40), nullable=True),
        sa.Column("district", sa.String(length=60), nullable=True),
        sa.Column("need", sa.String(length=20), nullable=True),
        sa.Column("age_band", sa.String(length=12), nullable=True),
        sa.Column("locale", sa.String(length=12), nullable=True),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("outcome_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_checkins_chat_key"), "checkins", ["chat_key"], unique=False)
    op.create_index(op.f("ix_checkins_due_at"), "checkins", ["due_at"], unique=False)
    op.create_table(
        "checkin_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("network", sa.String(length=40), nullable=True),
        sa.Column("district", sa.String(length=60), nullable=True),
        sa.Column("need", sa.String(length=20), nullable=True),
        sa.Column("age_band", sa.String(length=12), nullable=True),
        sa.Column("locale", sa.String(length=12), nullable=True),
        sa.Column("offer_id", sa.String(length=120), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("case_outcome", sa.String(length=24), nullable=True),
        sa.Column("outcome", sa.String(length=12), nullable=False),
        sa.Column("helped", sa.String(length=8), nullable=True),
        sa.Column("reason", sa.String(length=16), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_checkin_outcomes_day"), "checkin_outcomes", ["day"], unique=False)
    op.create_index(op.f("ix_checkin_outcomes_week"), "checkin_outcomes", ["week"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        # the family's later answer to the check-in after its case ("reached:yes"); none for older cases
        batch_op.add_column(sa.Column("followup", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("followup")
    op.drop_index(op.f("ix_checkin_outcomes_week"), table_name="checkin_outcomes")
    op.drop_index(op.f("ix_checkin_outcomes_day"), table_name="checkin_outcomes")
    op.drop_table("checkin_outcomes")
    op.drop_index(op.f("ix_checkins_due_at"), table_name="checkins")
    op.drop_index(op.f("ix_checkins_chat_key"), table_name="checkins")
    op.drop_table("checkins")
