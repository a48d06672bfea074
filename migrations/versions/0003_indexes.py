"""indexes for the dashboard at 100k publications

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 10:15:00

"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (name, columns) of the indexes the dashboard and the job monitor read (see bench/scale.py).
INDEXES = (
    # Replaces ix_publications_workspace_due: with `id`, "due, then id" order is a walk of the index.
    ("ix_publications_workspace_due_id", ["workspace_id", "due_at", "id"]),
    ("ix_publications_workspace_status_finished", ["workspace_id", "status", "finished_at"]),
    ("ix_publications_workspace_channel_due", ["workspace_id", "channel_id", "due_at"]),
    ("ix_publications_workspace_content_due", ["workspace_id", "content_id", "due_at"]),
    ("ix_publications_workspace_lateness_id", ["workspace_id", "lateness_ms", "id"]),
    ("ix_publications_workspace_priority_id", ["workspace_id", "priority", "id"]),
)


def upgrade():
    with op.batch_alter_table("publications", schema=None) as batch_op:
        for name, columns in INDEXES:
            batch_op.create_index(name, columns, unique=False)
        batch_op.drop_index("ix_publications_workspace_due")


def downgrade():
    with op.batch_alter_table("publications", schema=None) as batch_op:
        batch_op.create_index("ix_publications_workspace_due", ["workspace_id", "due_at"], unique=False)
        for name, _ in reversed(INDEXES):
            batch_op.drop_index(name)
