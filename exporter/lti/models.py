"""The tool's tables. Table names carry an `lti_` prefix so they can share a database with anything else."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship

# Alembic needs stable constraint names to drop or alter them later, on PostgreSQL and in SQLite batch mode.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
OUTBOX_STATUSES = ("pending", "sent", "failed")


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend: SQLite drops the offset, and comparing the naive values it gives
    back with aware ones (expiry checks) would raise."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: the tool stores UTC instants only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(metadata=MetaData(naming_convention=NAMING), type_annotation_map={datetime: UTCDateTime})


class Registration(Base):
    """A platform (issuer) with one of the client ids it gave us; Moodle gives a new client id per tool."""

    __tablename__ = "lti_registration"
    __table_args__ = (
        UniqueConstraint("issuer", "client_id"),
        # At most one default per issuer: logins that omit client_id must not have two candidates.
        Index("uq_lti_registration_default", "issuer", unique=True,
              sqlite_where=text("is_default"), postgresql_where=text("is_default")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(2048))
    auth_token_url: Mapped[str] = mapped_column(String(2048))
    auth_audience: Mapped[str | None] = mapped_column(String(2048))
    key_set_url: Mapped[str] = mapped_column(String(2048))
    is_default: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="registration", cascade="all, delete-orphan", order_by="Deployment.deployment_id")


class Deployment(Base):
    """Moodle makes one per site or course tool configuration (deployment_id = its tool type id)."""

    __tablename__ = "lti_deployment"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registration.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="deployments")


class ToolKey(Base):
    """A key the tool signs with. Several are kept so a rotation does not break tokens signed just before it:
    the active one signs, retired ones are only published until their grace period ends."""

    __tablename__ = "lti_tool_key"
    __table_args__ = (
        Index("uq_lti_tool_key_active", "active", unique=True,
              sqlite_where=text("active"), postgresql_where=text("active")),
        CheckConstraint("NOT (active AND retired_at IS NOT NULL)", name="active_not_retired"),
    )

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)  # RFC 7638 thumbprint (SHA-256, base64url)
    private_pem: Mapped[str] = mapped_column(Text)
    public_pem: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    activated_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class Launch(Base):
    """A validated launch; the runtime's API token points here instead of relying on a third-party cookie."""

    __tablename__ = "lti_launch"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registration.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("lti_deployment.id", ondelete="CASCADE"), index=True)
    sub: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str | None] = mapped_column(String(255))
    resource_link_id: Mapped[str | None] = mapped_column(String(255))
    roles: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of role URIs
    module_id: Mapped[str | None] = mapped_column(String(64))
    message_type: Mapped[str] = mapped_column(String(64))
    # The launch's AGS claim: where this resource link's grades go, and what the platform lets us do there.
    ags_lineitem: Mapped[str | None] = mapped_column(String(2048))
    ags_lineitems: Mapped[str | None] = mapped_column(String(2048))
    ags_scopes: Mapped[str] = mapped_column(Text, default="", server_default="")  # space-separated
    # The launch's NRPS claim (`context_memberships_url`): where the class view reads the course's members.
    nrps_memberships_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Attempt(Base):
    """One learner's work on one module behind one resource link: what the module saves and the score."""

    __tablename__ = "lti_attempt"
    __table_args__ = (
        UniqueConstraint("registration_id", "sub", "resource_link_id", "module_id"),
        Index("ix_lti_attempt_class", "registration_id", "context_id", "resource_link_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registration.id", ondelete="CASCADE"))
    deployment_id: Mapped[int] = mapped_column(ForeignKey("lti_deployment.id", ondelete="CASCADE"), index=True)
    sub: Mapped[str] = mapped_column(String(255))
    context_id: Mapped[str | None] = mapped_column(String(255))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    module_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(Text, default="{}")  # JSON written by the module runtime
    score: Mapped[float | None] = mapped_column(Float)  # 0..1
    completion_status: Mapped[str] = mapped_column(String(32), default="not attempted")
    success_status: Mapped[str] = mapped_column(String(32), default="unknown")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GradeOutbox(Base):
    """A score to post to the platform, written in the attempt's transaction so a platform outage loses
    nothing: a sender posts pending rows and retries failures at `next_try_at`."""

    __tablename__ = "lti_grade_outbox"
    __table_args__ = (
        CheckConstraint(f"status IN {OUTBOX_STATUSES}", name="status"),
        Index("ix_lti_grade_outbox_due", "status", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("lti_attempt.id", ondelete="CASCADE"), index=True)
    line_item_url: Mapped[str] = mapped_column(String(2048))
    payload: Mapped[str] = mapped_column(Text)  # the AGS score JSON, as posted
    # Moodle refuses (409) a score whose timestamp is not strictly later than the last one it stored.
    score_timestamp: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_try_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Nonce(Base):
    """A launch nonce already seen. Inserting is consuming: a duplicate key means a replay."""

    __tablename__ = "lti_nonce"

    value: Mapped[str] = mapped_column(String, primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
