"""The LTI tool's first schema: platforms, deployments, tool keys, launches, attempts, grade outbox, nonces.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "lti_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(255), nullable=False),
        sa.Column("client_id", sa.String(255), nullable=False),
        sa.Column("auth_login_url", sa.String(2048), nullable=False),
        sa.Column("auth_token_url", sa.String(2048), nullable=False),
        sa.Column("auth_audience", sa.String(2048), nullable=True),
        sa.Column("key_set_url", sa.String(2048), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lti_registration"),
        sa.UniqueConstraint("issuer", "client_id", name="uq_lti_registration_issuer"),
    )
    op.create_index("uq_lti_registration_default", "lti_registration", ["issuer"], unique=True,
                    sqlite_where=sa.text("is_default"), postgresql_where=sa.text("is_default"))

    op.create_table(
        "lti_deployment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(255), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["registration_id"], ["lti_registration.id"], ondelete="CASCADE",
                                name="fk_lti_deployment_registration_id_lti_registration"),
        sa.PrimaryKeyConstraint("id", name="pk_lti_deployment"),
        sa.UniqueConstraint("registration_id", "deployment_id", name="uq_lti_deployment_registration_id"),
    )

    op.create_table(
        "lti_tool_key",
        sa.Column("kid", sa.String(64), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_pem", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("activated_at", TIME, nullable=True),
        sa.Column("retired_at", TIME, nullable=True),
        sa.CheckConstraint("NOT (active AND retired_at IS NOT NULL)", name="ck_lti_tool_key_active_not_retired"),
        sa.PrimaryKeyConstraint("kid", name="pk_lti_tool_key"),
    )
    op.create_index("uq_lti_tool_key_active", "lti_tool_key", ["active"], unique=True,
                    sqlite_where=sa.text("active"), postgresql_where=sa.text("active"))

    op.create_table(
        "lti_launch",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("sub", sa.String(255), nullable=False),
        sa.Column("context_id", sa.String(255), nullable=True),
        sa.Column("resource_link_id", sa.String(255), nullable=True),
        sa.Column("roles", sa.Text(), nullable=False),
        sa.Column("module_id", sa.String(64), nullable=True),
        sa.Column("message_type", sa.String(64), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["lti_deployment.id"], ondelete="CASCADE",
                                name="fk_lti_launch_deployment_id_lti_deployment"),
        sa.ForeignKeyConstraint(["registration_id"], ["lti_registration.id"], ondelete="CASCADE",
                                name="fk_lti_launch_registration_id_lti_registration"),
        sa.PrimaryKeyConstraint("id", name="pk_lti_launch"),
    )
    op.create_index("ix_lti_launch_registration_id", "lti_launch", ["registration_id"])
    op.create_index("ix_lti_launch_deployment_id", "lti_launch", ["deployment_id"])
    op.create_index("ix_lti_launch_expires_at", "lti_launch", ["expires_at"])

    op.create_table(
        "lti_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.Integer(), nullable=False),
        sa.Column("sub", sa.String(255), nullable=False),
        sa.Column("context_id", sa.String(255), nullable=True),
        sa.Column("resource_link_id", sa.String(255), nullable=False),
        sa.Column("module_id", sa.String(64), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("completion_status", sa.String(32), nullable=False),
        sa.Column("success_status", sa.String(32), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(["deployment_id"], ["lti_deployment.id"], ondelete="CASCADE",
                                name="fk_lti_attempt_deployment_id_lti_deployment"),
        sa.ForeignKeyConstraint(["registration_id"], ["lti_registration.id"], ondelete="CASCADE",
                                name="fk_lti_attempt_registration_id_lti_registration"),
        sa.PrimaryKeyConstraint("id", name="pk_lti_attempt"),
        sa.UniqueConstraint("registration_id", "sub", "resource_link_id", "module_id",
                            name="uq_lti_attempt_registration_id"),
    )
    op.create_index("ix_lti_attempt_class", "lti_attempt", ["registration_id", "context_id", "resource_link_id"])
    op.create_index("ix_lti_attempt_deployment_id", "lti_attempt", ["deployment_id"])

    op.create_table(
        "lti_grade_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("line_item_url", sa.String(2048), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("score_timestamp", TIME, nullable=False),
        sa.Column("status", sa.String(16), server_default="pending", nullable=False),
        sa.Column("tries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("next_try_at", TIME, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name="ck_lti_grade_outbox_status"),
        sa.ForeignKeyConstraint(["attempt_id"], ["lti_attempt.id"], ondelete="CASCADE",
                                name="fk_lti_grade_outbox_attempt_id_lti_attempt"),
        sa.PrimaryKeyConstraint("id", name="pk_lti_grade_outbox"),
    )
    op.create_index("ix_lti_grade_outbox_attempt_id", "lti_grade_outbox", ["attempt_id"])
    op.create_index("ix_lti_grade_outbox_due", "lti_grade_outbox", ["status", "next_try_at"])

    for table in ("lti_nonce", "lti_oidc_state"):
        op.create_table(
            table,
            sa.Column("value", sa.String(), nullable=False),
            sa.Column("expires_at", TIME, nullable=False),
            sa.PrimaryKeyConstraint("value", name=f"pk_{table}"),
        )
        op.create_index(f"ix_{table}_expires_at", table, ["expires_at"])


def downgrade() -> None:
    for table in ("lti_oidc_state", "lti_nonce", "lti_grade_outbox", "lti_attempt", "lti_launch",
                  "lti_tool_key", "lti_deployment", "lti_registration"):
        op.drop_table(table)
