"""Acceptance scope (受理范围) of an efficiency complaint — SPEC §2, source §6 第十二–第十八条.

An explainable rule layer: every decision names the phrases that produced it. A complaint is in
scope when it describes one of the ten efficiency problems of a government organ or its staff;
otherwise it is not accepted (不予受理) and the complainant is told which authority is competent.
Pure standard library so it can run anywhere (domain layer).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ComplaintCategory(StrEnum):
    """The ten accepted categories of SPEC §2 plus out-of-scope. Values are stored as-is."""

    DELAY = "delay"
    ABUSE_OF_OFFICE = "abuse_of_office"
    EAT_TAKE_BLOCK_DEMAND = "eat_take_block_demand"
    RUDE_CONDUCT = "rude_conduct"
    SHIRKING = "shirking"
    ABSENT_FROM_POST = "absent_from_post"
    INEFFICIENCY = "inefficiency"
    OBSTRUCTION_RETALIATION = "obstruction_retaliation"
    ILLEGAL_CHARGES = "illegal_charges"
    OTHER_EFFICIENCY = "other_efficiency"
    OUT_OF_SCOPE = "out_of_scope"

    @property
    def label_zh(self) -> str:
        return _LABELS_ZH[self]


_LABELS_ZH: dict[ComplaintCategory, str] = {
    ComplaintCategory.DELAY: "拖延不办",
    ComplaintCategory.ABUSE_OF_OFFICE: "假公济私",
    ComplaintCategory.EAT_TAKE_BLOCK_DEMAND: "吃拿卡要报",
    ComplaintCategory.RUDE_CONDUCT: "作风粗暴",
    ComplaintCategory.SHIRKING: "推诿扯皮",
    ComplaintCategory.ABSENT_FROM_POST: "擅离职守",
    ComplaintCategory.INEFFICIENCY: "效率低下",
    ComplaintCategory.OBSTRUCTION_RETALIATION: "刁难、打击报复",
    ComplaintCategory.ILLEGAL_CHARGES: "乱收费、乱罚款、乱摊派",
    ComplaintCategory.OTHER_EFFICIENCY: "其他违反机关效能规定",
    ComplaintCategory.OUT_OF_SCOPE: "不属于受理范围",
}

# Phrases that on their own describe misconduct of an official ("strong"), and phrases that only
# count when the text also names a government organ or its staff ("weak"): "乱收费" by a
# property company is a consumer dispute, not an efficiency complaint.
_STRONG: dict[ComplaintCategory, tuple[str, ...]] = {
    ComplaintCategory.DELAY: (
        "拖延不办",
        "久拖不办",
        "拖着不办",
        "迟迟不办",
        "一拖再拖",
        "压案不办",
    ),
    ComplaintCategory.ABUSE_OF_OFFICE: (
        "假公济私",
        "以权谋私",
        "滥用职权",
        "利用职权",
        "利用职务",
        "公车私用",
        "徇私",
        "abuse of power",
        "abuse of office",
    ),
    ComplaintCategory.EAT_TAKE_BLOCK_DEMAND: (
        "吃拿卡要",
        "索要好处",
        "索贿",
        "受贿",
        "收受红包",
        "收红包",
        "吃请",
        "索拿卡要",
        "违规报销",
        "公款吃喝",
        "bribe",
    ),
    ComplaintCategory.RUDE_CONDUCT: ("作风粗暴", "态度恶劣", "态度蛮横", "态度粗暴", "辱骂群众"),
    ComplaintCategory.SHIRKING: (
        "推诿扯皮",
        "相互推诿",
        "互相推诿",
        "踢皮球",
        "推卸责任",
        "推来推去",
    ),
    ComplaintCategory.ABSENT_FROM_POST: (
        "擅离职守",
        "脱岗",
        "离岗",
        "空岗",
        "上班时间打牌",
        "上班玩游戏",
    ),
    ComplaintCategory.INEFFICIENCY: ("效率低下", "办事效率低", "效率太低", "跑了多次", "多次往返"),
    ComplaintCategory.OBSTRUCTION_RETALIATION: (
        "打击报复",
        "故意刁难",
        "刁难",
        "报复投诉人",
        "威胁投诉人",
        "retaliat",
    ),
    ComplaintCategory.ILLEGAL_CHARGES: (
        "乱收费",
        "乱罚款",
        "乱摊派",
        "违规收费",
        "违规罚款",
        "强行摊派",
    ),
    ComplaintCategory.OTHER_EFFICIENCY: (
        "机关效能",
        "效能问题",
        "不作为",
        "慢作为",
        "乱作为",
        "懒政",
    ),
}
_WEAK: dict[ComplaintCategory, tuple[str, ...]] = {
    ComplaintCategory.DELAY: ("拖延", "迟迟", "至今未办", "一直没有办理", "没有任何答复", "delay"),
    ComplaintCategory.ABUSE_OF_OFFICE: ("不正当竞争", "私自", "谋取私利"),
    ComplaintCategory.EAT_TAKE_BLOCK_DEMAND: ("好处费", "送礼", "红包", "卡着不办", "吃饭"),
    ComplaintCategory.RUDE_CONDUCT: ("态度差", "态度不好", "粗暴", "辱骂", "骂人", "rude"),
    ComplaintCategory.SHIRKING: ("推诿", "扯皮", "推脱", "不归我们管", "不是我们管"),
    ComplaintCategory.ABSENT_FROM_POST: (
        "不在岗",
        "找不到人",
        "没有人上班",
        "无人办公",
        "无人值班",
    ),
    ComplaintCategory.INEFFICIENCY: ("效率低", "排队几个小时", "办事难", "slow"),
    ComplaintCategory.OBSTRUCTION_RETALIATION: ("报复", "为难", "故意设卡"),
    ComplaintCategory.ILLEGAL_CHARGES: ("收费", "罚款", "摊派", "多收", "fine", "fee"),
    ComplaintCategory.OTHER_EFFICIENCY: ("失职", "渎职", "违反规定", "纪律"),
}

# Words that show the complained-against party is a government organ or its staff (§6 第十二条).
OFFICIAL_ACTORS: tuple[str, ...] = (
    "政府",
    "机关",
    "部门",
    "工作人员",
    "公务员",
    "干部",
    "领导",
    "窗口",
    "办事大厅",
    "政务",
    "局",
    "厅",
    "委员会",
    "街道办",
    "居委会",
    "村委会",
    "乡镇",
    "镇政府",
    "派出所",
    "城管",
    "执法",
    "民警",
    "警察",
    "交警",
    "科长",
    "局长",
    "主任",
    "书记",
    "镇长",
    "县长",
    "市长",
    "official",
    "government",
    "officer",
    "clerk",
    "bureau",
)

# Competent authorities for matters outside the efficiency scope, first match wins.
_AUTHORITIES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("贪污", "腐败", "违纪", "党员"), "纪检监察机关"),
    (("判决", "诉讼", "法院", "起诉", "仲裁"), "人民法院或仲裁机构"),
    (("报警", "诈骗", "盗窃", "打架", "斗殴", "传销", "赌博", "吸毒"), "公安机关"),
    (("工资", "欠薪", "社保", "养老", "劳动合同", "医保", "就业"), "人力资源和社会保障部门"),
    (("噪音", "污染", "排放", "臭味", "油烟", "垃圾焚烧"), "生态环境部门"),
    (("学校", "老师", "教师", "学生", "招生", "补课", "幼儿园"), "教育部门"),
    (("医院", "医生", "医疗", "疫苗", "计生", "药品"), "卫生健康部门"),
    (("公交", "道路", "交通", "出租车", "客运", "高速", "公路"), "交通运输部门"),
    (("物业", "房产", "开发商", "拆迁", "小区", "房屋", "建设工程"), "住房和城乡建设部门"),
    (("价格", "商家", "消费", "假货", "质量", "虚假宣传", "超市"), "市场监督管理部门"),
    (("土地", "征地", "宅基地", "国土"), "自然资源部门"),
)
_DEFAULT_AUTHORITY = "相关职能部门"


@dataclass(frozen=True, slots=True)
class ScopeAssessment:
    """Result of the scope rules: the category, the phrases that decided it, and for out-of-scope
    complaints the suggested explanation (不予受理说明) and competent authority (移交单位)."""

    category: ComplaintCategory
    matched_phrases: tuple[str, ...]
    official_actors: tuple[str, ...]
    explanation: str | None = None
    competent_authority: str | None = None

    @property
    def in_scope(self) -> bool:
        return self.category is not ComplaintCategory.OUT_OF_SCOPE

    def to_dict(self) -> dict[str, object]:
        return {
            "category": self.category.value,
            "label": self.category.label_zh,
            "in_scope": self.in_scope,
            "matched_phrases": list(self.matched_phrases),
            "official_actors": list(self.official_actors),
            "explanation": self.explanation,
            "competent_authority": self.competent_authority,
        }


def _found(text: str, phrases: tuple[str, ...]) -> list[str]:
    return [p for p in phrases if p in text]


def competent_authority_for(text: str, fallback: str | None = None) -> tuple[str, tuple[str, ...]]:
    """The authority competent for a non-efficiency matter and the words that pointed to it.

    ``fallback`` (for instance the routing model's department) is used when no word matches.
    """
    lowered = text.lower()
    for words, authority in _AUTHORITIES:
        hits = _found(lowered, words)
        if hits:
            return authority, tuple(hits)
    if fallback:
        return f"{fallback}主管部门", ()
    return _DEFAULT_AUTHORITY, ()


def assess_scope(text: str, routing_hint: str | None = None) -> ScopeAssessment:
    """Classify ``text`` into one of the ten efficiency categories or out-of-scope.

    Scoring: a strong phrase counts 2, a weak phrase 1 but only with an official actor present.
    The highest score wins; ties go to the lower category number (the order of §2).
    """
    lowered = text.lower()
    actors = tuple(_found(lowered, OFFICIAL_ACTORS))
    best: tuple[int, ComplaintCategory, list[str]] | None = None
    for category, strong in _STRONG.items():
        hits = _found(lowered, strong)
        score = 2 * len(hits)
        if actors:
            weak = [w for w in _found(lowered, _WEAK[category]) if not any(w in h for h in hits)]
            hits += weak
            score += len(weak)
        if score and (best is None or score > best[0]):
            best = (score, category, hits)
    if best is not None:
        return ScopeAssessment(best[1], tuple(best[2]), actors)
    authority, pointers = competent_authority_for(lowered, routing_hint)
    explanation = (
        "您反映的问题不属于机关效能投诉受理范围（拖延不办、推诿扯皮、乱收费等机关及其工作人员的"
        f"效能问题），根据规定不予受理。建议您向{authority}反映，我们也可以协助移交。"
        " / Your complaint is not about the efficiency of a government organ or its staff, so it"
        f" cannot be accepted here; please contact the competent authority ({authority})."
    )
    return ScopeAssessment(ComplaintCategory.OUT_OF_SCOPE, pointers, actors, explanation, authority)
