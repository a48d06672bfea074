"""editable records - paused and archived channels, author slugs, clash policy, skipped or moved occurrences

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 04:20:00

"""

import sqlalchemy as sa
from alembic import op


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("channels") as batch:
        batch.add_column(sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("contents") as batch:
        batch.add_column(sa.Column("slug", sa.String(length=200), nullable=True))
    with op.batch_alter_table("content_variants") as batch:
        batch.add_column(sa.Column("slug", sa.String(length=200), nullable=True))
    with op.batch_alter_table("schedules") as batch:
        batch.add_column(sa.Column("clash_policy", sa.String(length=16), nullable=False, server_default="move"))
    op.create_table(
        "schedule_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("original_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", sa.String(length=8), nullable=False),
        sa.Column("moved_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspaces.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["schedule_id"], ["schedules.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "original_at"),
    )
    op.create_index("ix_schedule_exceptions_workspace_id", "schedule_exceptions", ["workspace_id"])
    op.create_index("ix_schedule_exceptions_schedule_id", "schedule_exceptions", ["schedule_id"])


def downgrade():
    op.drop_index("ix_schedule_exceptions_schedule_id", table_name="schedule_exceptions")
    op.drop_index("ix_schedule_exceptions_workspace_id", table_name="schedule_exceptions")
    op.drop_table("schedule_exceptions")
    with op.batch_alter_table("schedules") as batch:
        batch.drop_column("clash_policy")
    with op.batch_alter_table("content_variants") as batch:
        batch.drop_column("slug")
    with op.batch_alter_table("contents") as batch:
        batch.drop_column("slug")
    with op.batch_alter_table("channels") as batch:
        batch.drop_column("archived_at")
        batch.drop_column("paused_at")
