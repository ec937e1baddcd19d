"""Launches keep their AGS claim (line item URLs and scopes) so a finished attempt can be graded later.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lti_launch") as batch:
        batch.add_column(sa.Column("ags_lineitem", sa.String(2048), nullable=True))
        batch.add_column(sa.Column("ags_lineitems", sa.String(2048), nullable=True))
        batch.add_column(sa.Column("ags_scopes", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("lti_launch") as batch:
        batch.drop_column("ags_scopes")
        batch.drop_column("ags_lineitems")
        batch.drop_column("ags_lineitem")
