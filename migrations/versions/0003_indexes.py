"""indexes for the dashboard at 100k publications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:15:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
