"""Launches keep their NRPS claim (the course's membership URL) so the class view can list the course's members.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("lti_launch") as batch:
        batch.add_column(sa.Column("nrps_memberships_url", sa.String(2048), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("lti_launch") as batch:
        batch.drop_column("nrps_memberships_url")
