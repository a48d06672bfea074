"""stored sentences in the reader's language - alerts' messages, publications' hold reasons and last errors

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 10:30:00

Beside each English text column, its sentence untranslated with its arguments (webapp/core/phrases.py), so each
reader sees it in their own language. NULL (every row written before this): the English text is shown as it is.
"""

import sqlalchemy as sa
from alembic import op


revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("message_i18n", sa.JSON(), nullable=True))
    with op.batch_alter_table("publications") as batch:
        batch.add_column(sa.Column("last_error_i18n", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("hold_reason_i18n", sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table("publications") as batch:
        batch.drop_column("hold_reason_i18n")
        batch.drop_column("last_error_i18n")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("message_i18n")
