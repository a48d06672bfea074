"""more stored sentences in the reader's language - channels' health messages, attempts' errors, timeline notes

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 11:30:00

As 0018: beside each English text column, its sentence untranslated with its arguments (webapp/core/phrases.py).
NULL (every row written before this, and a platform's own words): the English text is shown as it is.
"""

import sqlalchemy as sa
from alembic import op


revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

COLUMNS = (("channels", "health_message_i18n"), ("attempts", "error_message_i18n"), ("publication_changes", "detail_i18n"))


def upgrade():
    for table, column in COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.JSON(), nullable=True))


def downgrade():
    for table, column in reversed(COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_column(column)
