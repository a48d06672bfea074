"""publications by workspace, status and channel - the job monitor's triage filter at a million rows

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 08:30:00

"Failed on this channel" (status and channel filters, or `status:failed channel:blog`): with only the
channel's and the status's own indexes PostgreSQL ANDs two bitmaps per channel and reads the rows,
50-70 ms at 1,000,000 publications (bench/scale.py); this index answers the count and the page in
about 2 ms.
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_publications_workspace_status_channel_due",
        "publications",
        ["workspace_id", "status", "channel_id", "due_at"],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_publications_workspace_status_channel_due", table_name="publications")
