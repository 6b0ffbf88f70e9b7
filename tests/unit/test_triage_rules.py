"""The explainable triage rules: acceptance scope, importance, entities (SPEC §1, §2, §5)."""

from __future__ import annotations

import pytest

from complaintdesk.triage.entities import extract_entities, id_checksum_ok, mask_sensitive
from complaintdesk.triage.importance import Importance, ImportanceReason, assess_importance
from complaintdesk.triage.scope import ComplaintCategory, assess_scope

SCOPE_CASES = [
    (
        "我的营业执照申请材料齐全，窗口工作人员拖延不办已经两个月",
        ComplaintCategory.DELAY,
        "拖延不办",
    ),
    (
        "某局副科长利用职权为亲戚的公司揽活，排挤其他企业",
        ComplaintCategory.ABUSE_OF_OFFICE,
        "利用职权",
    ),
    (
        "办理施工许可时，局里工作人员吃拿卡要，暗示要送红包",
        ComplaintCategory.EAT_TAKE_BLOCK_DEMAND,
        "吃拿卡要",
    ),
    ("派出所民警态度恶劣，当众辱骂群众", ComplaintCategory.RUDE_CONDUCT, "态度恶劣"),
    ("社保局和税务局相互推诿，都说不归自己管", ComplaintCategory.SHIRKING, "相互推诿"),
    (
        "上午十点去镇政府办事，窗口空岗，工作人员擅离职守",
        ComplaintCategory.ABSENT_FROM_POST,
        "擅离职守",
    ),
    (
        "不动产登记中心办事效率低下，一个证跑了多次还没办好",
        ComplaintCategory.INEFFICIENCY,
        "效率低下",
    ),
    (
        "我投诉后，该局干部对我打击报复，故意刁难我的审批",
        ComplaintCategory.OBSTRUCTION_RETALIATION,
        "打击报复",
    ),
    ("城管执法人员乱罚款，没有任何依据", ComplaintCategory.ILLEGAL_CHARGES, "乱罚款"),
    ("街道干部长期不作为，群众反映的问题没人理", ComplaintCategory.OTHER_EFFICIENCY, "不作为"),
]


@pytest.mark.parametrize(("text", "category", "phrase"), SCOPE_CASES)
def test_it_classifies_each_accepted_category_with_the_matched_phrase(
    text: str, category: ComplaintCategory, phrase: str
) -> None:
    result = assess_scope(text)
    assert result.category is category
    assert result.in_scope
    assert phrase in result.matched_phrases
    assert result.explanation is None


def test_every_category_has_a_chinese_label_and_a_stable_value() -> None:
    assert {c.value for c in ComplaintCategory} >= {"delay", "out_of_scope", "illegal_charges"}
    assert ComplaintCategory.EAT_TAKE_BLOCK_DEMAND.label_zh == "吃拿卡要报"
    assert all(c.label_zh for c in ComplaintCategory)


def test_a_neighbour_dispute_is_out_of_scope_with_an_explanation_and_authority() -> None:
    result = assess_scope("楼下饭店油烟和噪音太大，晚上根本睡不着")
    assert result.category is ComplaintCategory.OUT_OF_SCOPE
    assert not result.in_scope
    assert result.competent_authority == "生态环境部门"
    assert set(result.matched_phrases) >= {"油烟", "噪音"}
    assert (
        result.explanation
        and "不予受理" in result.explanation
        and "生态环境部门" in result.explanation
    )


def test_weak_phrases_need_an_official_actor() -> None:
    # A property company charging fees is a consumer matter, not an efficiency complaint.
    assert assess_scope("物业公司收费太高").category is ComplaintCategory.OUT_OF_SCOPE
    assert assess_scope("街道办工作人员多收费用").category is ComplaintCategory.ILLEGAL_CHARGES


def test_out_of_scope_falls_back_to_the_routing_hint_for_the_authority() -> None:
    result = assess_scope("请问明年的政策如何", routing_hint="商贸旅游")
    assert result.competent_authority == "商贸旅游主管部门"


def test_english_text_is_understood() -> None:
    assert assess_scope("The officer asked me for a bribe").category is (
        ComplaintCategory.EAT_TAKE_BLOCK_DEMAND
    )


@pytest.mark.parametrize(
    ("text", "reason", "word"),
    [
        ("该县副县长插手土地出让", ImportanceReason.LEADER_RANK, "副县长"),
        ("我是市人大代表，反映一个问题", ImportanceReason.DEPUTY, "人大代表"),
        ("我们外商投资企业的审批被拖了半年", ImportanceReason.FOREIGN_INVESTOR, "外商投资"),
        ("本人是台湾同胞，在此投资办厂", ImportanceReason.COMPATRIOT, "台湾同胞"),
        ("工地塌方，工人生命安全受到威胁，村民聚集", ImportanceReason.SAFETY_STABILITY, "生命安全"),
        ("执法人员殴打商户，性质恶劣", ImportanceReason.SERIOUS_MALIGN, "性质恶劣"),
        ("这是历史遗留问题，涉及多个部门", ImportanceReason.COMPLEXITY, "历史遗留"),
    ],
)
def test_it_marks_important_complaints_with_the_triggering_words(
    text: str, reason: ImportanceReason, word: str
) -> None:
    result = assess_importance(text)
    assert result.level is Importance.IMPORTANT
    found = {f.reason: f.words for f in result.reasons}
    assert word in found[reason]


def test_an_everyday_complaint_is_ordinary() -> None:
    result = assess_importance("小区门口路灯坏了一个月，严重影响晚上出行，请尽快修理")
    assert result.level is Importance.ORDINARY
    assert result.reasons == ()


def test_a_longer_rank_word_hides_the_shorter_one() -> None:
    words = assess_importance("副局长签字").reasons[0].words
    assert words == ("副局长",)


def test_intake_tags_count_as_reasons() -> None:
    result = assess_importance("道路积水", complainant_tags=("政协委员",))
    assert result.reasons[0].reason is ImportanceReason.DEPUTY


def test_it_extracts_dates_places_persons_units_phones_and_ids() -> None:
    text = (
        "2020年1月8日我在A市A3区政务服务中心办事，窗口的王科长态度恶劣。"
        "C1区云塘学校的数学老师叫欧阳嫦英。电话13812345678，身份证11010519491231002X。"
        "On March 3, 2020 Ms. Wang refused."
    )
    found = extract_entities(text)
    assert found.dates == ("2020年1月8日", "March 3, 2020")
    assert {"A市", "A3区", "C1区"} <= set(found.places)
    assert {"王科长", "欧阳嫦英", "Ms. Wang"} <= set(found.persons)
    assert "A市A3区政务服务中心" in found.units and "C1区云塘学校" in found.units
    assert found.phones == ("13812345678",)
    assert found.id_numbers == ("11010519491231002X",)


def test_phones_and_ids_are_masked_by_default() -> None:
    found = extract_entities("联系 13812345678 或 0731-84561234，证件 11010519491231002X")
    shown = found.to_dict()
    assert shown["phones"] == ["138****5678", "073*****1234"]
    assert shown["id_numbers"] == ["110***********002X"]
    assert found.to_dict(masked=False)["phones"][0] == "13812345678"
    assert "13812345678" not in mask_sensitive("电话13812345678")


def test_an_id_with_a_wrong_check_digit_is_not_an_id() -> None:
    assert id_checksum_ok("11010519491231002X")
    assert not id_checksum_ok("110105194912310021")
    assert extract_entities("编号110105194912310021").id_numbers == ()


def test_compound_words_are_not_places() -> None:
    places = extract_entities("我们小区在文明城市，超市和市场都很近，湖南省长沙市岳麓区").places
    assert not {"小区", "文明城市", "超市"} & set(places)
    assert {"长沙市", "岳麓区"} <= set(places)
