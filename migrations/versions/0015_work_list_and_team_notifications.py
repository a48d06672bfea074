"""alerts as a work list, and a workspace's own notification channel

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 07:30:00

Who resolved an alert (NULL with resolved_at set: it resolved itself when its cause went away); a
workspace-level destination (a shared Slack/Mattermost webhook, a team email) an owner sets; and
notifications addressed to that destination, which belong to no user.
"""

import sqlalchemy as sa
from alembic import op


revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(sa.Column("resolved_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_alerts_resolved_by", "users", ["resolved_by_id"], ["id"], ondelete="SET NULL")
        batch.create_index("ix_alerts_workspace_resolved", ["workspace_id", "resolved_at"])
    op.create_table(
        "workspace_notification_settings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "workspace_id", sa.Integer(), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False, unique=True
        ),
        sa.Column("email_address", sa.String(320), nullable=True),
        sa.Column("slack_url_encrypted", sa.Text(), nullable=True),
        sa.Column("kinds", sa.JSON(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute("DELETE FROM notifications WHERE user_id IS NULL")
    with op.batch_alter_table("notifications") as batch:
        batch.alter_column("user_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("workspace_notification_settings")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_workspace_resolved")
        batch.drop_constraint("fk_alerts_resolved_by", type_="foreignkey")
        batch.drop_column("resolved_by_id")
