"""pending sign-ups - an open sign-up confirmed by email, so the form never tells which emails have accounts

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 05:55:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pending_sign_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_pending_sign_ups_email", "pending_sign_ups", ["email"])


def downgrade():
    op.drop_index("ix_pending_sign_ups_email", table_name="pending_sign_ups")
    op.drop_table("pending_sign_ups")
