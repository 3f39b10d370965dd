"""case topics: a case's own topic in a Lotsen forum group; the thread a kept list message is shown in

Revision ID: 0010
Revises: 0008
Create Date: 2026-12-02 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        # the forum topic's message_thread_id; None in a plain group (and for cases from before 0010)
        batch_op.add_column(sa.Column("topic_id", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("lotsen_boards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("thread_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lotsen_boards", schema=None) as batch_op:
        batch_op.drop_column("thread_id")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("topic_id")
