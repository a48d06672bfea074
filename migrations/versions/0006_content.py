"""content variants, media, templates, chains, notifications

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 10:15:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("content_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=True),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.Column("tags", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("(platform IS NULL) <> (channel_id IS NULL)", name=op.f("ck_content_variants_one_target")),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_content_variants_channel_id_channels"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["content_id"], ["contents.id"], name=op.f("fk_content_variants_content_id_contents"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_variants_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_variants")),
        sa.UniqueConstraint("content_id", "channel_id", name=op.f("uq_content_variants_content_id_channel_id")),
        sa.UniqueConstraint("content_id", "platform", name=op.f("uq_content_variants_content_id_platform")),
    )
    with op.batch_alter_table("content_variants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_content_variants_channel_id"), ["channel_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_content_variants_content_id"), ["content_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_content_variants_workspace_id"), ["workspace_id"], unique=False)

    op.create_table(
        "content_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_format", sa.String(length=16), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=True),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("channel_ids", sa.JSON(), nullable=False),
        sa.Column("schedule", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_content_templates_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_content_templates_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_templates")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_content_templates_workspace_id_name")),
    )
    with op.batch_alter_table("content_templates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_content_templates_workspace_id"), ["workspace_id"], unique=False)


def downgrade():
    op.drop_table("content_templates")
    op.drop_table("content_variants")
