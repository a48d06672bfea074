"""channel health holds needs_intervention

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("channels") as batch_op:
        batch_op.alter_column("health", existing_type=sa.String(length=16), type_=sa.String(length=24))


def downgrade():
    with op.batch_alter_table("channels") as batch_op:
        batch_op.alter_column("health", existing_type=sa.String(length=24), type_=sa.String(length=16))
