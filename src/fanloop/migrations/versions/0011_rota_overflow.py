"""The rota's overflow rule (who takes a live post when everyone on shift is at capacity) and the
start of a spell with nobody on shift, so the leads are told once per spell rather than per post.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 20:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("rota_settings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("overflow", sa.String(length=16), nullable=False, server_default="least_loaded")
        )
        batch_op.add_column(sa.Column("uncovered_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("rota_settings", schema=None) as batch_op:
        batch_op.drop_column("uncovered_since")
        batch_op.drop_column("overflow")
