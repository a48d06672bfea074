"""chains - chained publications, notification preferences

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 10:40:00

"""

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
