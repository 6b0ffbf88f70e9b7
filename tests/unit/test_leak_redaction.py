"""What text a handling unit or the public reads: every personal-data pattern masked, every
near miss (dates, amounts, tracking and article numbers) left as it was written."""

from __future__ import annotations

import pytest

from complaintdesk.complaints.publication import redact
from complaintdesk.kernel.privacy import mask_text
from complaintdesk.kernel.sealing import SealBroken, seal, unseal

NAMES = ["王小明", "明光商贸公司", "王大明", "李建国"]  # complainant, unit, proxy, representative

# (written, must not survive, what the reader sees instead)
MASKED = [
    ("电话13812345678请回电", "13812345678", "电话138****5678请回电"),
    ("电话138-1234-5678请回电", "1234-5678", "电话138****5678请回电"),
    ("电话 138 1234 5678", "1234 5678", "电话 138****5678"),
    ("手机+86 138 1234 5678", "1234 5678", "手机138****5678"),
    ("手机+8613812345678", "8613812345678", "手机138****5678"),
    ("手机0086-138-1234-5678", "1234-5678", "手机138****5678"),
    ("座机0591-87654321", "87654321", "座机0591-****4321"),
    ("座机(0591)8765432", "8765432", "座机0591-****5432"),
    ("座机（0591）87654321", "87654321", "座机0591-****4321"),
    ("座机059187654321", "059187654321", "座机0591-****4321"),
    ("身份证350102199003071234", "199003071234", "身份证350***********1234"),
    ("身份证35010219900307123X。", "19900307123X", "身份证350***********123X。"),
    ("老身份证350102900307123", "350102900307123", "老身份证350********7123"),
    ("邮箱 wang.xm@example.com 联系", "wang.xm@", "邮箱 w***@example.com 联系"),
    ("住福州市鼓楼区五四路12号", "12号", "住福州市鼓楼区五四路＊＊＊"),
    ("住湖东路8-2号院", "8-2号", "住湖东路＊＊＊"),
    ("住阳光小区3栋2单元501", "3栋2单元501", "住阳光小区＊＊＊"),
    ("住12号楼3单元402室", "402", "住＊＊＊"),
    ("住2单元501室", "501", "住＊＊＊"),
    ("我是王小明，代理人王大明", "王", "我是＊＊＊，代理人＊＊＊"),
    ("代表李建国发言", "李建国", "代表＊＊＊发言"),
    ("明光商贸公司员工", "明光商贸", "＊＊＊员工"),
]

# Written so that a careless pattern would eat them; each must come out unchanged.
NEAR_MISSES = [
    "2026-11-30 晚上10点",
    "2026年11月30日至2026年12月14日",
    "罚款12000元，退还3,500.50元",
    "受理编号TS20261130-000123",
    "依据《行政处罚法》第12条和第十六条",
    "闽政〔2020〕12号文件",
    "工号A1380000123",
    "共15位居民联名，涉及300户",
    "订单号 202611301234567890123",
    "版本 1.3.8",
]


@pytest.mark.parametrize(("written", "secret", "shown"), MASKED)
def test_a_unit_reads_the_complainants_text_masked(written: str, secret: str, shown: str) -> None:
    masked = mask_text(written, NAMES)
    assert secret not in masked
    assert masked == shown


@pytest.mark.parametrize(("written", "secret", "shown"), MASKED)
def test_publication_redacts_every_pattern_a_unit_gets_masked(
    written: str, secret: str, shown: str
) -> None:
    assert secret not in redact(written, NAMES)


@pytest.mark.parametrize(
    ("written", "secret"),
    [
        ("感谢王先生配合", "王先生"),
        ("李女士反映情况属实", "李女士"),
        ("经查张某某所述属实", "张某某"),
        ("欧阳女士已签收", "欧阳女士"),
        ("陈某称其未收到", "陈某"),
        ("赵小姐的诉求", "赵小姐"),
    ],
)
def test_publication_redacts_a_private_persons_form_of_address(written: str, secret: str) -> None:
    published = redact(written, [])
    assert secret not in published and "＊＊＊" in published


@pytest.mark.parametrize("written", [*NEAR_MISSES, "关于某些问题", "对于某种情况"])
def test_near_misses_are_left_as_written(written: str) -> None:
    assert mask_text(written, NAMES) == written
    assert redact(written, NAMES) == written


def test_a_one_character_name_is_not_blacked_out_everywhere() -> None:
    assert mask_text("王局长到场", ["王"]) == "王局长到场"


def test_a_sealed_secret_opens_only_with_its_key_and_purpose() -> None:
    sealed = seal("key-one", "query-code", "ABCD2345")
    assert "ABCD2345" not in sealed
    assert seal("key-one", "query-code", "ABCD2345") != sealed  # a fresh nonce every time
    assert unseal("key-one", "query-code", sealed) == "ABCD2345"
    for key, purpose in (("key-two", "query-code"), ("key-one", "outbox")):
        with pytest.raises(SealBroken):
            unseal(key, purpose, sealed)


def test_a_tampered_seal_is_refused() -> None:
    version, nonce, cipher, tag = seal("k", "p", "ABCD2345").split(".")
    flipped = ("B" if cipher[0] == "A" else "A") + cipher[1:]
    for broken in (f"{version}.{nonce}.{flipped}.{tag}", "s1.x.y", "not sealed", ""):
        with pytest.raises(SealBroken):
            unseal("k", "p", broken)
