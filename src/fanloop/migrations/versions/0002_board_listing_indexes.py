"""board listing indexes

A board's page lists its posts hot or top first; with only (board_id, created_at, id) to go on,
the database sorted every post of the board for each page. These indexes serve those listings
the way ix_posts_board_new serves the newest-first one.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.create_index("ix_posts_board_hot", ["board_id", "hot_score", "id"], unique=False)
        batch_op.create_index("ix_posts_board_top", ["board_id", "vote_count", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_board_top")
        batch_op.drop_index("ix_posts_board_hot")
