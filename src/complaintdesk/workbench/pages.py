"""The role homes (``/staff/home``)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/staff", include_in_schema=False)
