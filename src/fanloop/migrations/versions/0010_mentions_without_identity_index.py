"""Mentions without an index on their identity: nothing looks them up by it, and every import
wrote that index all over.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 16:16:40.059997

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mentions_identity_id"))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("mentions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mentions_identity_id"), ["identity_id"], unique=False)
