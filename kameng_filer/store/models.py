"""SQLAlchemy ORM models of the local store (the schema itself is owned by the alembic migrations).

Every timestamp is stored as naive UTC text and comes back as an aware Asia/Shanghai datetime
(``UTCDateTime``), so ordering and range queries in SQL are correct. JSON columns are UTF-8 text
written with ``json.dumps(ensure_ascii=False)``. Rows are only ever added or updated, never deleted:
an edited case gets a new version, and earlier versions and their evidence stay.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from kameng_filer.timeutil import SHANGHAI

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as naive UTC; read back in Asia/Shanghai. Naive input is Asia/Shanghai."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to naive UTC for storage."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=SHANGHAI)
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Attach UTC and convert to Asia/Shanghai."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC).astimezone(SHANGHAI)


class Base(DeclarativeBase):
    """Declarative base with a naming convention (named constraints keep SQLite migrations sane)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DbCase(Base):
    """One dispute; ``id`` is the case file's ``id``."""

    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    current_version: Mapped[int] = mapped_column(Integer)

    versions: Mapped[list[DbCaseVersion]] = relationship(
        back_populates="case", order_by="DbCaseVersion.version", lazy="raise"
    )


class DbCaseVersion(Base):
    """One imported version of a case file: its text exactly as read, and where it came from."""

    __tablename__ = "case_versions"
    __table_args__ = (UniqueConstraint("case_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"))
    version: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    content_format: Mapped[str] = mapped_column(String(8))
    content_sha256: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)

    case: Mapped[DbCase] = relationship(back_populates="versions", lazy="raise")
    evidence: Mapped[list[DbVersionEvidence]] = relationship(
        back_populates="case_version", order_by="DbVersionEvidence.position", lazy="raise"
    )


class DbBlob(Base):
    """A content-addressed file under the blobs folder (``ab/cdef…`` from its SHA-256)."""

    __tablename__ = "blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    mime: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DbVersionEvidence(Base):
    """One evidence item of one case version, pointing at its blob."""

    __tablename__ = "version_evidence"
    __table_args__ = (
        UniqueConstraint("case_version_id", "evidence_id"),
        Index(None, "blob_sha256"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_version_id: Mapped[int] = mapped_column(Integer, ForeignKey("case_versions.id"))
    position: Mapped[int] = mapped_column(Integer)
    evidence_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    original_name: Mapped[str] = mapped_column(Text)
    blob_sha256: Mapped[str] = mapped_column(String(64), ForeignKey("blobs.sha256"))

    case_version: Mapped[DbCaseVersion] = relationship(back_populates="evidence", lazy="raise")
    blob: Mapped[DbBlob] = relationship(lazy="joined")


class DbFiling(Base):
    """One complaint on one channel: (case, channel, purpose, generation) is unique (exactly once)."""

    __tablename__ = "filings"
    __table_args__ = (
        UniqueConstraint("case_id", "channel", "purpose", "generation"),
        ForeignKeyConstraint(
            ["case_id", "case_version"],
            ["case_versions.case_id", "case_versions.version"],
            name="fk_filings_case_version_case_versions",
        ),
        Index(None, "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"))
    case_version: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(32), default="complaint", server_default=text("'complaint'"))
    generation: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    state: Mapped[str] = mapped_column(String(32), default="planned", server_default=text("'planned'"))
    retryable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("0"))
    complaint_no: Mapped[str | None] = mapped_column(String(200), nullable=True)
    plan_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    receipt_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    submitted_values_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    evidence_hashes_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitting_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    force_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class DbEvent(Base):
    """One entry of a case's timeline; ``dedupe_key`` (unique when set) makes an action idempotent."""

    __tablename__ = "events"
    __table_args__ = (
        Index(None, "case_id", "at"),
        Index(None, "filing_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[str] = mapped_column(String(64), ForeignKey("cases.id"))
    filing_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("filings.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(32))
    data_json: Mapped[str] = mapped_column(Text, default="{}", server_default=text("'{}'"))
    dedupe_key: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)

