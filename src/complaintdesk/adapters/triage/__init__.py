"""Triage: department routing model behind a small Protocol, plus the domain rule layers."""

from complaintdesk.adapters.triage.facade import (
    DEFAULT_THRESHOLD,
    FakeTriage,
    ModelTriage,
    RouteSuggestion,
    Triage,
    TriageResult,
    build_triage,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "FakeTriage",
    "ModelTriage",
    "RouteSuggestion",
    "Triage",
    "TriageResult",
    "build_triage",
]
