"""offer fields: HSDS 3 service fields, translation fingerprints, the offer generation counter

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 12:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

OFFER_COLUMNS = (
    ("eligibility_description", sa.Text(), "''"),
    ("application_process", sa.Text(), "''"),
    ("required_documents", sa.Text(), "''"),
    ("interpretation_services", sa.String(length=300), "''"),
    ("status", sa.String(length=20), "'active'"),
    ("closed_until", sa.Date(), None),
    ("alert", sa.String(length=300), "''"),
    ("free_places", sa.Integer(), None),
    ("free_places_counted", sa.Date(), None),
    ("assured_date", sa.Date(), None),
    ("assurer_email", sa.String(length=200), "''"),
    ("phone_around_the_clock", sa.Boolean(), "false"),
)


def upgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        for name, kind, default in OFFER_COLUMNS:
            # existing rows get the neutral value; NOT NULL like the other text and flag columns
            batch_op.add_column(
                sa.Column(name, kind, nullable=default is None, server_default=sa.text(default) if default else None)
            )
    with op.batch_alter_table("offer_translations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=False, server_default=""))
    op.create_table(
        "offer_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO offer_generation (id, generation) VALUES (1, 1)")


def downgrade() -> None:
    op.drop_table("offer_generation")
    with op.batch_alter_table("offer_translations", schema=None) as batch_op:
        batch_op.drop_column("source")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        for name, _, _ in reversed(OFFER_COLUMNS):
            batch_op.drop_column(name)
