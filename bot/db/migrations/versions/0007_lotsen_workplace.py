"""lotsen workplace: the messages the bot keeps up to date in a Lotsen chat; every child's age on a case

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 11:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lotsen_boards",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("owner", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("outbox_id", sa.Integer(), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("shown", sa.String(length=500), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "kind", "owner"),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        # existing cases keep their one age in age_months; the list is empty for them
        batch_op.add_column(sa.Column("children_months", sa.String(length=60), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("children_months")
    op.drop_table("lotsen_boards")
