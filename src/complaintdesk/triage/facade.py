"""The triage facade the rest of the app calls: ``Triage.suggest(title, text) -> TriageResult``.

``ModelTriage`` combines the routing model (when a model file is configured) with the
explainable rule layers of ``domain`` (scope, importance, entities). ``FakeTriage`` is a
deterministic stand-in for tests. Neither ever raises for a missing or unreadable model: routing
is then empty and the complaint waits for a dispatcher (SPEC §2).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from complaintdesk.triage.entities import Entities, extract_entities
from complaintdesk.triage.importance import ImportanceAssessment, assess_importance
from complaintdesk.triage.scope import ScopeAssessment, assess_scope
from complaintdesk.triage.text import join_fields

log = logging.getLogger(__name__)
DEFAULT_THRESHOLD = 0.6
# The model and the entity extractor read a letter's first 4,000 characters (title first):
# 99% of real letters are under 2,800 and the longest of 10,000 archived ones is 9,023, while
# both cost time in proportion to length, so a 20,000-character body from an anonymous
# sender must not buy 20,000 characters of CPU. The cheap keyword rules (scope, importance)
# read everything, so a serious word late in a long letter still counts.
READ_LIMIT = 4_000


@dataclass(frozen=True, slots=True)
class RouteSuggestion:
    label: str
    confidence: float

    def to_dict(self) -> dict[str, object]:
        return {"label": self.label, "confidence": round(self.confidence, 4)}


@dataclass(frozen=True, slots=True)
class TriageResult:
    routing: tuple[RouteSuggestion, ...]
    needs_dispatcher: bool
    threshold: float
    scope: ScopeAssessment
    importance: ImportanceAssessment
    entities: Entities
    model_version: str | None = None

    def to_dict(self, *, masked: bool = True) -> dict[str, Any]:
        """JSON-able suggestions; phones and ID numbers are masked unless ``masked=False``."""
        return {
            "routing": [r.to_dict() for r in self.routing],
            "needs_dispatcher": self.needs_dispatcher,
            "threshold": self.threshold,
            "model_version": self.model_version,
            "scope": self.scope.to_dict(),
            "importance": self.importance.to_dict(),
            "entities": self.entities.to_dict(masked=masked),
        }


class Triage(Protocol):
    def suggest(self, title: str, text: str) -> TriageResult: ...


def _result(
    full_text: str, routing: Sequence[RouteSuggestion], threshold: float, version: str | None
) -> TriageResult:
    top = routing[0] if routing else None
    return TriageResult(
        routing=tuple(routing),
        needs_dispatcher=top is None or top.confidence < threshold,
        threshold=threshold,
        scope=assess_scope(full_text, routing_hint=top.label if top else None),
        importance=assess_importance(full_text),
        entities=extract_entities(full_text[:READ_LIMIT]),
        model_version=version,
    )


class ModelTriage:
    """Routing model + rule layers. Build it with ``from_path`` at start-up (loads once)."""

    def __init__(self, model: Any | None, threshold: float = DEFAULT_THRESHOLD) -> None:
        if not 0 <= threshold <= 1:
            raise ValueError(f"threshold must be within [0, 1], got {threshold}")
        self.model = model
        self.threshold = threshold
        meta = getattr(model, "metadata", {}) or {}
        self.version = (
            meta.get("created_at") and f"{meta['created_at']} {meta.get('data_hash', '')[:19]}"
        )

    @classmethod
    def from_path(
        cls,
        path: str | Path | None,
        threshold: float = DEFAULT_THRESHOLD,
        expected_sha256: str | None = None,
    ) -> ModelTriage:
        if path is None:
            return cls(None, threshold)
        from complaintdesk.triage.model import RoutingModel

        try:
            model = RoutingModel.load(path, expected_sha256=expected_sha256)
        except Exception:  # a bad model file must not stop complaints from being filed
            log.exception("triage model %s could not be loaded; routing disabled", path)
            return cls(None, threshold)
        # Warm up the tokenizer and vectorizers so the first complaint is not slow.
        model.predict(["预热 warm up"])
        return cls(model, threshold)

    def suggest(self, title: str, text: str) -> TriageResult:
        full = join_fields([title, text])
        routing: list[RouteSuggestion] = []
        if self.model is not None and full.strip():
            prediction = self.model.predict([full[:READ_LIMIT]], k=3)[0]
            routing = [RouteSuggestion(lab, conf) for lab, conf in prediction.top]
        return _result(full, routing, self.threshold, self.version)


class FakeTriage:
    """Deterministic triage for tests: a keyword → label table instead of a model, the real
    rule layers (they are pure and fast)."""

    def __init__(
        self,
        routes: dict[str, str] | None = None,
        confidence: float = 0.9,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.routes = routes if routes is not None else {"噪音": "环境保护", "学校": "教育文体"}
        self.confidence = confidence
        self.threshold = threshold

    def suggest(self, title: str, text: str) -> TriageResult:
        full = join_fields([title, text])
        labels = list(dict.fromkeys(lab for word, lab in self.routes.items() if word in full))
        routing = [
            RouteSuggestion(lab, round(self.confidence / (i + 1), 4))
            for i, lab in enumerate(labels[:3])
        ]
        return _result(full, routing, self.threshold, "fake")


def build_triage(
    model_path: str | Path | None,
    threshold: float = DEFAULT_THRESHOLD,
    expected_sha256: str | None = None,
) -> Triage:
    """Composition-root helper: the real triage, routing enabled when a model file is given."""
    return ModelTriage.from_path(model_path, threshold, expected_sha256)
