"""Entities named in a complaint (dates, places, persons, units, phones, ID numbers) — SPEC §1.

Pattern-based and explainable; good enough to help routing and display, not a full NER. Phone and
ID numbers are personal data (SPEC §5): ``masked`` forms are what logs and handling units see.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CJK = "\u3400-\u9fff"
_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*[日号])?"),
    re.compile(r"(?<!\d)(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)"),
    re.compile(r"(?<![\d年])\d{1,2}\s*月\s*\d{1,2}\s*[日号]"),
    re.compile(
        r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}\b"
    ),
    re.compile(
        r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?,?\s+\d{4}\b"
    ),
)
_PROVINCES = (
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
)
_PLACE_SUFFIXES = ("自治区", "自治州", "自治县", "街道", "省", "市", "州", "县", "区", "镇", "乡")
_UNIT_SUFFIXES = (
    "人民政府",
    "政府",
    "委员会",
    "办事处",
    "派出所",
    "居委会",
    "村委会",
    "管委会",
    "服务中心",
    "办公室",
    "街道办",
    "中心",
    "局",
    "厅",
    "院",
    "所",
    "站",
    "公司",
    "学校",
    "小学",
    "中学",
    "大学",
    "医院",
    "银行",
    "集团",
)
# Compound words that end like a place or unit but are not one ("小区", "城市", "超市").
_NOT_NAMES = (
    "小区",
    "社区",
    "城区",
    "景区",
    "园区",
    "辖区",
    "片区",
    "校区",
    "市区",
    "郊区",
    "山区",
    "地区",
    "街区",
    "城市",
    "超市",
    "市场",
    "门市",
    "夜市",
    "上市",
    "都市",
    "全市",
    "全省",
    "全县",
    "全区",
    "本市",
    "我市",
    "该市",
    "本区",
    "我区",
    "该区",
    "我县",
    "本县",
    "我省",
    "本省",
    "问题",
    "开办",
    "举办",
    "承办",
    "创办",
    "主办",
    "怎么办",
    "代办",
    "领导",
    "研究所",
    "厕所",
    "场所",
    "住所",
    "诊所",
    "处所",
    "车站",
    "网站",
    "加油站",
    "法院",
    "电影院",
    "剧院",
    "庭院",
    "学院",
    "医院",
    "出所",
    "我院",
    "本院",
    "该院",
    "该局",
    "本局",
    "他们局",
    "当局",
    "布局",
    "格局",
)
# Characters that end a name when reading leftwards from a suffix (function words, punctuation).
_STOP = set(
    "的了在是和与及或被把向到从对给找去来为于以让由将跟同说问叫向我你他她它们这那其该此每各某"
    "，。、；：！？,.;:!?（）()【】[]《》<>“”\"'‘’ \t\n\u3000"
)
# A place suffix followed by one of these is part of another word ("市场", "区域", "县长").
_NOT_AFTER_PLACE = set("场民值面容级长份域委")
_LATIN_ANON = re.compile(r"[A-Z]\d{0,2}(?:自治州|自治县|省|市|州|县|区)")
_PHONE = re.compile(r"(?<![\d])(?:1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?![\d])")
_ID = re.compile(
    r"(?<![\dA-Za-z])[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])"
)
_TITLES = (
    "先生",
    "女士",
    "小姐",
    "老师",
    "局长",
    "科长",
    "处长",
    "所长",
    "站长",
    "主任",
    "书记",
    "经理",
    "师傅",
    "医生",
    "警官",
    "同志",
    "队长",
    "镇长",
    "县长",
    "市长",
    "村长",
    "校长",
)
_SURNAMES = (
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
    "郑",
    "梁",
    "谢",
    "宋",
    "唐",
    "许",
    "韩",
    "冯",
    "邓",
    "曹",
    "彭",
    "曾",
    "肖",
    "田",
    "董",
    "袁",
    "潘",
    "于",
    "蒋",
    "蔡",
    "余",
    "杜",
    "叶",
    "程",
    "苏",
    "魏",
    "吕",
    "丁",
    "任",
    "沈",
    "姚",
    "卢",
    "姜",
    "崔",
    "钟",
    "谭",
    "陆",
    "汪",
    "范",
    "金",
    "石",
    "廖",
    "贾",
    "夏",
    "韦",
    "付",
    "方",
    "白",
    "邹",
    "孟",
    "熊",
    "秦",
    "邱",
    "江",
    "尹",
    "薛",
    "闫",
    "段",
    "雷",
    "侯",
    "龙",
    "史",
    "陶",
    "黎",
    "贺",
    "顾",
    "毛",
    "郝",
    "龚",
    "邵",
    "万",
    "钱",
    "严",
    "覃",
    "武",
    "戴",
    "莫",
    "孔",
    "向",
    "汤",
)
_SURNAME_RE = "|".join(_SURNAMES)
_PERSON_TITLED = re.compile(
    rf"(?:{_SURNAME_RE})[{_CJK}]{{0,2}}?(?:某某|某)?(?:{'|'.join(_TITLES)})"
)
_PERSON_NAMED = re.compile(rf"(?:名叫|叫做|姓名[:：]?|名字是|叫)((?:{_SURNAME_RE})[{_CJK}]{{1,2}})")
_PERSON_EN = re.compile(r"\b(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?")


@dataclass(frozen=True, slots=True)
class Entities:
    dates: tuple[str, ...] = ()
    places: tuple[str, ...] = ()
    persons: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    phones: tuple[str, ...] = field(default=(), repr=False)
    id_numbers: tuple[str, ...] = field(default=(), repr=False)

    @property
    def phones_masked(self) -> tuple[str, ...]:
        return tuple(mask_phone(p) for p in self.phones)

    @property
    def id_numbers_masked(self) -> tuple[str, ...]:
        return tuple(mask_id_number(n) for n in self.id_numbers)

    def to_dict(self, *, masked: bool = True) -> dict[str, list[str]]:
        """Masked phones and IDs by default; pass ``masked=False`` only for authorised views."""
        return {
            "dates": list(self.dates),
            "places": list(self.places),
            "persons": list(self.persons),
            "units": list(self.units),
            "phones": list(self.phones_masked if masked else self.phones),
            "id_numbers": list(self.id_numbers_masked if masked else self.id_numbers),
        }


def mask_phone(phone: str) -> str:
    digits = phone.replace("-", "")
    return (
        digits[:3] + "*" * (len(digits) - 7) + digits[-4:] if len(digits) > 7 else "*" * len(digits)
    )


def mask_id_number(number: str) -> str:
    return number[:3] + "*" * (len(number) - 7) + number[-4:]


def id_checksum_ok(number: str) -> bool:
    """GB 11643 check digit of an 18-character resident ID number."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(number[:17], weights, strict=True))
    return "10X98765432"[total % 11] == number[17].upper()


def mask_sensitive(text: str) -> str:
    """The text with every phone and ID number masked, for logs (SPEC §5)."""
    text = _ID.sub(lambda m: mask_id_number(m.group()), text)
    return _PHONE.sub(lambda m: mask_phone(m.group()), text)


def _unique(items: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


def _extend_left(text: str, end: int, suffix_len: int, max_len: int, stop: str = "") -> str:
    """Read leftwards from the suffix ending at ``end`` until a stop character or ``max_len``."""
    start = end - suffix_len
    while start > 0 and end - start < max_len:
        if text[start - 1] in _STOP or text[start - 1] in stop:
            break
        if not ("\u3400" <= text[start - 1] <= "\u9fff" or text[start - 1].isalnum()):
            break
        start -= 1
    return text[start:end]


# Distinct names of one kind worth showing an operator; a text naming more is not a letter,
# and reading on would only cost time.
MAX_NAMES = 200


def _suffix_names(
    text: str, suffixes: tuple[str, ...], max_len: int, min_len: int, place: bool = False
) -> list[str]:
    pattern = re.compile("|".join(re.escape(s) for s in suffixes))
    names: dict[str, None] = {}  # distinct, in order of first mention
    judged: dict[tuple[str, str], bool] = {}  # a long text repeats its names: judge each once
    extended: dict[tuple[str, str], str] = {}
    for m in pattern.finditer(text):
        if place and text[m.end() : m.end() + 1] in _NOT_AFTER_PLACE:
            continue
        # A place stops at the previous place's suffix so "湖南省长沙市" gives two places.
        stop = "省市州县区镇乡" if place else ""
        # The name depends only on the max_len characters before the suffix's end: a text
        # that repeats itself repeats these windows, so each is read once.
        window = text[max(0, m.end() - max_len) : m.end()]
        name = extended.get((window, m.group()))
        if name is None:
            name = extended[window, m.group()] = _extend_left(
                text, m.end(), len(m.group()), max_len, stop
            )
        ok = judged.get((name, m.group()))
        if ok is None:
            ok = judged[name, m.group()] = not (
                len(name) < min_len
                or name.endswith(_NOT_NAMES)
                or name in _NOT_NAMES
                or name == m.group()
            )
        if ok:
            names[name] = None
            if len(names) >= MAX_NAMES:
                break
    return list(names)


def _places(text: str) -> list[str]:
    found = [m.group() for m in _LATIN_ANON.finditer(text)]
    found += [p for p in _PROVINCES if p in text]
    for name in _suffix_names(text, _PLACE_SUFFIXES, max_len=4, min_len=2, place=True):
        # Latin-coded places ("D12市") come from _LATIN_ANON above.
        if not any(c.isascii() for c in name):
            found.append(name)
    # "湖南" is dropped when "湖南省" was found too. Names are short, so every proper
    # substring of every distinct name fits in one set: linear in the text, where comparing
    # each match with every other was quadratic (10,000 × "A市" took seconds).
    distinct = list(dict.fromkeys(found))
    inside = {
        name[i:j]
        for name in distinct
        for i in range(len(name))
        for j in range(i + 1, len(name) + 1)
        if j - i < len(name)
    }
    return [f for f in distinct if f not in inside]


def extract_entities(text: str) -> Entities:
    """Dates, places, persons, units, phones and ID numbers mentioned in ``text``."""
    dates = [m.group().strip() for p in _DATE_PATTERNS for m in p.finditer(text)]
    ids = [m.group() for m in _ID.finditer(text) if id_checksum_ok(m.group())]
    without_ids = _ID.sub(" ", text)
    phones = [m.group() for m in _PHONE.finditer(without_ids)]
    persons = [m.group() for m in _PERSON_TITLED.finditer(text)]
    persons += [m.group(1) for m in _PERSON_NAMED.finditer(text)]
    persons += [m.group() for m in _PERSON_EN.finditer(text)]
    units = _suffix_names(text, _UNIT_SUFFIXES, max_len=12, min_len=3)
    return Entities(
        dates=_unique(dates),
        places=_unique(_places(text)),
        persons=_unique(persons),
        units=_unique(units),
        phones=_unique(phones),
        id_numbers=_unique(ids),
    )
