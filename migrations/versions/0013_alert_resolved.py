"""alert resolution - an alert whose cause went away says so (the scheduler came back)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 05:30:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("resolved_at")
