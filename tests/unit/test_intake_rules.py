"""Intake rules without a database: groups, repeats' similarity, file reading, attachments."""

from __future__ import annotations

from datetime import datetime

import pytest

from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.intake import attachments, importer, repeats
from complaintdesk.intake import service as intake
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.kernel.text import clean_text

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)


def test_it_refuses_a_fourth_representative_with_a_bilingual_message() -> None:
    group = intake.Group(40, tuple(intake.Representative(n) for n in "甲乙丙丁"))
    with pytest.raises(InvalidInput) as err:
        intake.check_group(group)
    assert "最多推选3名代表" in str(err.value) and "at most 3" in str(err.value)


def test_a_group_needs_a_representative_and_more_than_one_member() -> None:
    with pytest.raises(InvalidInput):
        intake.check_group(intake.Group(40, ()))
    with pytest.raises(InvalidInput):
        intake.check_group(intake.Group(1, (intake.Representative("甲"),)))


def test_near_identical_texts_score_above_the_threshold_and_other_matters_below() -> None:
    text = "西州住建局窗口工作人员连续三次以材料不全为由拒收申请。"
    assert repeats.similarity(text, text.replace("。", "！") + " ") == 1.0
    assert repeats.similarity(text, text.replace("三次", "3次")) >= repeats.NEAR_IDENTICAL
    assert repeats.similarity(text, "小区门口路灯坏了一个月没人修。") < 0.2


def test_gbk_files_are_detected_and_utf8_stays_utf8() -> None:
    assert importer.detect_encoding("留言编号,留言详情\n".encode("gbk")) == "gb18030"
    assert importer.detect_encoding("留言编号,留言详情\n".encode()) == "utf-8"
    assert importer.detect_encoding(b"\xef\xbb\xbf" + "留言".encode()) == "utf-8-sig"
    with pytest.raises(InvalidInput):
        importer.detect_encoding(b"\x00\x01\x02" * 100)


def test_the_teddy_cup_layout_is_recognised_and_others_need_a_mapping() -> None:
    header = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "一级标签"]
    assert importer.resolve_columns(header, {}) == {
        "ref": 0,
        "user": 1,
        "title": 2,
        "time": 3,
        "content": 4,
        "label": 5,
    }
    with pytest.raises(InvalidInput) as err:
        importer.resolve_columns(["日期", "投诉内容"], {})
    assert "content=" in str(err.value)
    mapped = importer.resolve_columns(
        ["日期", "投诉内容"], importer.parse_mapping("content=投诉内容,time=日期")
    )
    assert mapped == {"content": 1, "time": 0}
    with pytest.raises(InvalidInput):
        importer.parse_mapping("body=投诉内容")


def test_the_fast_text_check_agrees_with_clean_text() -> None:
    samples = [
        "\n\t\t\t普通的投诉内容\u3000\n\t\t",
        "含有控制字符\x01的文本" * 3,
        "x\x00y",
        "\x01\x02\x03\x04\x05\x06",
        "emoji 😀 and 中文",
        "私用区\ue000字符",
    ]
    for text in samples:
        expected: str | type[InvalidInput]
        try:
            expected = clean_text(text, what_zh="内容", what_en="text")
        except InvalidInput:
            expected = InvalidInput
        if expected is InvalidInput:
            with pytest.raises(InvalidInput):
                importer.fast_clean(
                    text, what_zh="内容", what_en="text", required=True, max_chars=20_000
                )
        else:
            assert (
                importer.fast_clean(
                    text, what_zh="内容", what_en="text", required=True, max_chars=20_000
                )
                == expected
            )


def test_times_are_read_in_shanghai_and_future_or_garbage_times_refused() -> None:
    assert importer.parse_time("2019/2/28 11:25:05", NOW) == datetime(
        2019, 2, 28, 11, 25, 5, tzinfo=SHANGHAI
    )
    assert importer.parse_time("", NOW) == NOW
    for bad in ("2027-01-01 00:00:00", "昨天下午"):
        with pytest.raises(InvalidInput):
            importer.parse_time(bad, NOW)


def test_attachment_types_are_judged_by_their_bytes_not_their_names() -> None:
    assert attachments.check(attachments.Upload("a.jpg", b"\xff\xd8\xff\xe0" + b"0" * 10)) == (
        "image/jpeg"
    )
    with pytest.raises(InvalidInput):
        attachments.check(attachments.Upload("invoice.pdf", b"MZ\x90\x00 windows program"))
    with pytest.raises(InvalidInput):
        attachments.check(attachments.Upload("empty.txt", b""))
    assert attachments.safe_filename("../../etc/passwd") == "passwd"
    assert attachments.safe_filename("C:\\Users\\x\\照片.png") == "照片.png"
