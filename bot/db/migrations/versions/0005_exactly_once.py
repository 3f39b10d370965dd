"""exactly once: processed updates, case and outbox ids never reused on SQLite

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 10:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_processed_updates_processed_at"), ["processed_at"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite reuses the highest rowid after a delete unless the table says AUTOINCREMENT, which only a
        # rebuilt table can. env.py turns foreign keys off around migrations, so dropping the old table does
        # not cascade into the outbox and relay links. PostgreSQL's sequences never reuse ids: nothing to do.
        for table in ("cases", "outbox"):
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
                pass
            # No seed needed: AUTOINCREMENT continues above the largest id copied over.


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in ("outbox", "cases"):
            with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": False}):
                pass
    with op.batch_alter_table("processed_updates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_processed_updates_processed_at"))
    op.drop_table("processed_updates")
