"""OIDC states are no longer recorded: the launch's nonce, used up in the launch's own transaction, is what
makes an id_token single use, and a state opens nothing without its id_token.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_lti_oidc_state_expires_at", "lti_oidc_state")
    op.drop_table("lti_oidc_state")


def downgrade() -> None:
    op.create_table(
        "lti_oidc_state",
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("value", name="pk_lti_oidc_state"),
    )
    op.create_index("ix_lti_oidc_state_expires_at", "lti_oidc_state", ["expires_at"])
