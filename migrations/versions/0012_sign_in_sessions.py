"""sign-in sessions - one row per browser sign-in, ended by signing out

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 04:35:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_sign_in_sessions_user_id", "sign_in_sessions", ["user_id"])


def downgrade():
    op.drop_index("ix_sign_in_sessions_user_id", table_name="sign_in_sessions")
    op.drop_table("sign_in_sessions")
