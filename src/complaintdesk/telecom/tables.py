"""Tables of telecom pre-processing (SPEC §7): knowledge sources and per-complaint cases.

The subscriber's number is not stored here: it is the complainant's phone in the identity
vault (``complainants``), read when a look-up or an SMS needs it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from complaintdesk.db.base import Base, BigId, JsonType, utcnow


class TelecomAlarmRow(Base):
    """基站告警: a site in alarm and the areas/cells it affects."""

    __tablename__ = "telecom_alarms"
    __table_args__ = (Index("ix_telecom_alarms_cleared_at_started_at", "cleared_at", "started_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(80), unique=True)
    site: Mapped[str] = mapped_column(String(200))
    areas: Mapped[list[str]] = mapped_column(JsonType)
    cells: Mapped[list[str]] = mapped_column(JsonType)
    description: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime]
    expected_recovery_at: Mapped[datetime | None]
    cleared_at: Mapped[datetime | None]
    # The city branch whose area it is (its staff may read it); None: the support centre's.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TelecomBlindSpotRow(Base):
    """覆盖盲点: area names and, where known, cells or a polygon."""

    __tablename__ = "telecom_blind_spots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    areas: Mapped[list[str]] = mapped_column(JsonType)
    cells: Mapped[list[str]] = mapped_column(JsonType)
    polygon: Mapped[list[list[float]] | None] = mapped_column(JsonType, nullable=True)
    planned_fix: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # as for alarms
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TelecomScriptRow(Base):
    """终端与使用类脚本: symptom (+ handset model/OS) → explanation and self-help SMS."""

    __tablename__ = "telecom_scripts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    phenomena: Mapped[list[str]] = mapped_column(JsonType)
    keywords: Mapped[list[str]] = mapped_column(JsonType)
    handset_model: Mapped[str] = mapped_column(String(120), default="")
    os: Mapped[str] = mapped_column(String(60), default="")
    explanation: Mapped[str] = mapped_column(Text)
    sms_template: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Approved by the support centre: only then may its SMS be sent. Any change of the
    # texts clears it.
    approved_at: Mapped[datetime | None]
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TelecomCaseRow(Base):
    """The pre-processing record of one telecom complaint: where it stands in the two
    levels, the evidence level 1 gathered, and the outcome the metrics read."""

    __tablename__ = "telecom_cases"
    __table_args__ = (
        Index("ix_telecom_cases_queue_complaint_id", "queue", "complaint_id"),
        Index("ix_telecom_cases_area", "area"),
    )

    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), primary_key=True)
    area: Mapped[str] = mapped_column(String(200), default="")
    cell: Mapped[str] = mapped_column(String(80), default="")
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    handset_model: Mapped[str] = mapped_column(String(120), default="")
    os: Mapped[str] = mapped_column(String(60), default="")
    occurred_at: Mapped[datetime | None]
    phenomena: Mapped[list[str]] = mapped_column(JsonType)
    diagnosis: Mapped[dict[str, Any]]
    # level1 (awaiting the operator) / level2 (support centre) / branch / resolved
    queue: Mapped[str] = mapped_column(String(16))
    cause: Mapped[str | None] = mapped_column(String(24))
    resolved_level: Mapped[int | None] = mapped_column(Integer)
    branch_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    network_quality: Mapped[bool | None] = mapped_column(Boolean)
    reviewed_at: Mapped[datetime | None]
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TelecomImprovementRow(Base):
    """A new site or fix that went live in an area (基站入网/网络改善)."""

    __tablename__ = "telecom_improvements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    area: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # new_site / fix
    description: Mapped[str] = mapped_column(Text)
    live_at: Mapped[datetime]
    notified: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
