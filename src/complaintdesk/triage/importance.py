"""Importance (一般 / 重要) of a complaint — SPEC §2, source §6 第十七条.

Important complaints go to the centre's leader for instruction (批示) before anything else, so
each reason names the words that triggered it and a person can check it at a glance.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Importance(StrEnum):
    ORDINARY = "ordinary"  # 一般
    IMPORTANT = "important"  # 重要


class ImportanceReason(StrEnum):
    LEADER_RANK = "leader_rank"  # 涉及县处级以上领导
    DEPUTY = "deputy"  # 人大代表、政协委员
    FOREIGN_INVESTOR = "foreign_investor"  # 外商投资企业、投资者
    COMPATRIOT = "compatriot"  # 港澳台同胞、海外侨胞
    SAFETY_STABILITY = "safety_stability"  # 影响社会稳定、危及生命财产安全
    SERIOUS_MALIGN = "serious_malign"  # 情节严重、性质恶劣
    COMPLEXITY = "complexity"  # 情况复杂、需要审批

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]


_LABELS_ZH: dict[ImportanceReason, str] = {
    ImportanceReason.LEADER_RANK: "涉及县处级以上领导干部",
    ImportanceReason.DEPUTY: "人大代表、政协委员投诉",
    ImportanceReason.FOREIGN_INVESTOR: "外商投资企业或投资者投诉",
    ImportanceReason.COMPATRIOT: "港澳台同胞或海外侨胞投诉",
    ImportanceReason.SAFETY_STABILITY: "影响社会稳定或危及生命财产安全",
    ImportanceReason.SERIOUS_MALIGN: "情节严重、性质恶劣",
    ImportanceReason.COMPLEXITY: "情况复杂、需要审批",
}

# Trigger words per reason. Words common in ordinary complaints ("严重影响", "安全隐患") are left
# out on purpose: they would make nearly every citizen message important.
_TRIGGERS: dict[ImportanceReason, tuple[str, ...]] = {
    ImportanceReason.LEADER_RANK: (
        "县处级",
        "厅局级",
        "省部级",
        "县级领导",
        "市级领导",
        "市领导",
        "县领导",
        "省领导",
        "县长",
        "县委书记",
        "市长",
        "市委书记",
        "区长",
        "区委书记",
        "州长",
        "州委书记",
        "省长",
        "厅长",
        "处长",
        "局长",
        "副县长",
        "副市长",
        "副区长",
        "副局长",
        "副处长",
        "党委书记",
        "mayor",
        "governor",
        "director-general",
        "party secretary",
    ),
    ImportanceReason.DEPUTY: (
        "人大代表",
        "政协委员",
        "人大常委",
        "人大委员",
        "people's congress",
        "cppcc",
    ),
    ImportanceReason.FOREIGN_INVESTOR: (
        "外商",
        "外资",
        "外企",
        "外商投资",
        "投资者",
        "投资商",
        "客商",
        "招商引资",
        "foreign investor",
        "foreign-invested",
        "investor",
    ),
    ImportanceReason.COMPATRIOT: (
        "港澳台",
        "香港同胞",
        "澳门同胞",
        "台湾同胞",
        "台胞",
        "港胞",
        "华侨",
        "侨胞",
        "归侨",
        "侨眷",
        "海外同胞",
        "hong kong",
        "macao",
        "macau",
        "taiwan",
        "overseas chinese",
    ),
    ImportanceReason.SAFETY_STABILITY: (
        "群体性",
        "集体上访",
        "聚集",
        "堵路",
        "静坐",
        "跳楼",
        "自杀",
        "轻生",
        "爆炸",
        "坍塌",
        "伤亡",
        "死亡",
        "人命",
        "生命安全",
        "人身安全",
        "生命财产",
        "财产安全",
        "黑恶势力",
        "暴力",
        "殴打",
        "持刀",
        "社会稳定",
        "维稳",
        "life-threatening",
        "suicide",
        "death",
        "violence",
        "riot",
    ),
    ImportanceReason.SERIOUS_MALIGN: (
        "性质恶劣",
        "影响恶劣",
        "极其恶劣",
        "情节严重",
        "后果严重",
        "严重违法",
        "无法无天",
        "malicious",
        "egregious",
    ),
    ImportanceReason.COMPLEXITY: (
        "多个部门",
        "多部门",
        "历史遗留",
        "长期未解决",
        "多年未解决",
        "涉及多方",
        "需要审批",
        "需审批",
        "跨区域",
        "跨部门",
        "complex",
    ),
}


@dataclass(frozen=True, slots=True)
class ImportanceFinding:
    """One reason the complaint is important, with the words that triggered it."""

    reason: ImportanceReason
    words: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "reason": self.reason.value,
            "label": self.reason.label_zh,
            "words": list(self.words),
        }


@dataclass(frozen=True, slots=True)
class ImportanceAssessment:
    level: Importance
    reasons: tuple[ImportanceFinding, ...]

    def to_dict(self) -> dict[str, object]:
        return {"level": self.level.value, "reasons": [r.to_dict() for r in self.reasons]}


def _hits(text: str, words: tuple[str, ...]) -> tuple[str, ...]:
    found = [w for w in words if w in text]
    # Drop a hit contained in a longer hit ("局长" inside "副局长") so each word shows once.
    return tuple(w for w in found if not any(w != o and w in o for o in found))


def assess_importance(text: str, complainant_tags: tuple[str, ...] = ()) -> ImportanceAssessment:
    """Ordinary or important with reasons. ``complainant_tags`` are facts known at intake (for
    instance "人大代表" chosen in a form) and are matched with the same words as the text."""
    lowered = (text + " " + " ".join(complainant_tags)).lower()
    findings = []
    for reason, words in _TRIGGERS.items():
        hits = _hits(lowered, words)
        if hits:
            findings.append(ImportanceFinding(reason, hits))
    level = Importance.IMPORTANT if findings else Importance.ORDINARY
    return ImportanceAssessment(level, tuple(findings))
