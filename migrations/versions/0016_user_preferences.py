"""user preferences - language, dashboard layout, single-key shortcuts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 07:35:00

`locale` NULL follows the browser's Accept-Language; `dashboard_layout` NULL is the default layout;
single-key shortcuts can be turned off (WCAG 2.1.4).
"""

import sqlalchemy as sa
from alembic import op


revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("locale", sa.String(16), nullable=True))
        batch.add_column(sa.Column("dashboard_layout", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("shortcuts_enabled", sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_column("shortcuts_enabled")
        batch.drop_column("dashboard_layout")
        batch.drop_column("locale")
