"""Knowledge sources from CSV or Excel: base-station alarms, blind spots, scripts.

Headers may be English or Chinese (``site``/``站点``). Lists (areas, cells, keywords) are
separated by ``;``, ``；``, ``、`` or ``|``; a polygon is ``lon,lat;lon,lat;…``. Times
without a zone are Asia/Shanghai. A bad row refuses the whole file, naming the row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from complaintdesk.clock.deadlines import SHANGHAI
from complaintdesk.io import tables
from complaintdesk.kernel.errors import InvalidInput
from complaintdesk.telecom.diagnosis import (
    PHENOMENON_LABELS,
    Alarm,
    BlindSpot,
    Phenomenon,
    Script,
    check_template,
)

T = TypeVar("T")
Row = dict[str, Any]

ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("external_id", "id", "编号", "告警编号", "盲点编号", "脚本编号"),
    "site": ("site", "站点", "基站", "基站名称"),
    "areas": ("areas", "affected_areas", "area", "影响区域", "区域", "区域名称"),
    "cells": ("cells", "cell", "小区", "影响小区", "小区列表"),
    "started_at": ("started_at", "start", "开始时间", "告警时间"),
    "expected_recovery_at": ("expected_recovery_at", "expected_recovery", "预计恢复时间"),
    "cleared_at": ("cleared_at", "cleared", "清除时间", "告警清除时间"),
    "description": ("description", "描述", "告警描述"),
    "name": ("name", "名称", "盲点名称"),
    "polygon": ("polygon", "多边形", "范围"),
    "planned_fix": ("planned_fix", "解决计划", "建设计划"),
    "title": ("title", "标题", "脚本名称"),
    "phenomena": ("phenomena", "symptom", "现象", "投诉现象"),
    "keywords": ("keywords", "关键词"),
    "handset_model": ("handset_model", "model", "机型", "终端型号"),
    "os": ("os", "操作系统", "系统"),
    "explanation": ("explanation", "解释口径", "解释"),
    "sms_template": ("sms_template", "sms", "短信模板", "自助短信"),
    "branch": ("branch", "branch_code", "分公司", "所属分公司"),
}
_LIST_SPLIT = re.compile(r"[;；、|\n]+")
_BY_LABEL = {
    **{p.value: p for p in Phenomenon},
    **{label.split(" / ")[0]: p for p, label in PHENOMENON_LABELS.items()},
}


def read_rows(data: bytes, filename: str) -> list[Row]:
    """Rows of a ``.csv`` or ``.xlsx`` file (read by :mod:`complaintdesk.io.tables`: UTF-8,
    GBK, UTF-16 …; blank rows skipped), keys mapped to canonical names."""
    _header, rows = tables.read_dicts(data, filename)
    return [canonical(r) for r in rows]


def canonical(row: dict[str, Any]) -> Row:
    lookup = {str(k).strip().lower(): v for k, v in row.items() if k is not None}
    out: Row = {}
    for name, aliases in ALIASES.items():
        for alias in aliases:
            if alias.lower() in lookup and lookup[alias.lower()] not in (None, ""):
                out[name] = lookup[alias.lower()]
                break
    return out


def split_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(p.strip() for p in _LIST_SPLIT.split(str(value)) if p.strip())


def parse_time(value: Any, what: str) -> datetime | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip().replace("/", "-")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInput(
                f"{what}时间格式应为 YYYY-MM-DD HH:MM / {what}: expected YYYY-MM-DD HH:MM,"
                f" got {value!r}"
            ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def parse_phenomena(value: Any) -> tuple[Phenomenon, ...]:
    names = split_list(value)
    unknown = [n for n in names if n not in _BY_LABEL]
    if unknown:
        raise InvalidInput(
            f"未知的投诉现象 {unknown}，可用：{sorted(_BY_LABEL)} / unknown phenomena {unknown}"
        )
    return tuple(dict.fromkeys(_BY_LABEL[n] for n in names))


def parse_polygon(value: Any) -> tuple[tuple[float, float], ...]:
    if not value:
        return ()
    points: list[tuple[float, float]] = []
    pairs = value if isinstance(value, list) else _LIST_SPLIT.split(str(value))
    for pair in pairs:
        if isinstance(pair, str) and not pair.strip():
            continue
        try:
            lon, lat = (float(x) for x in (pair.split(",") if isinstance(pair, str) else pair))
        except (TypeError, ValueError) as exc:
            raise InvalidInput(
                f"多边形顶点应为“经度,纬度” / polygon vertices are 'lon,lat': {pair!r}"
            ) from exc
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput(f"经纬度超出范围 / coordinates out of range: {pair!r}")
        points.append((lon, lat))
    if len(points) < 3:
        raise InvalidInput("多边形至少需要3个顶点 / a polygon needs at least 3 vertices")
    return tuple(points)


def _text(row: Row, key: str, what_zh: str, *, required: bool = True) -> str:
    value = str(row.get(key) or "").strip()
    if required and not value:
        raise InvalidInput(f"缺少{what_zh} / {key} is required")
    return value


def alarm_from_row(row: Row) -> tuple[str, Alarm]:
    areas, cells = split_list(row.get("areas")), split_list(row.get("cells"))
    if not areas and not cells:
        raise InvalidInput("告警须注明影响区域或小区 / an alarm needs affected areas or cells")
    started = parse_time(row.get("started_at"), "开始 / start")
    if started is None:
        raise InvalidInput("缺少告警开始时间 / started_at is required")
    recovery = parse_time(row.get("expected_recovery_at"), "预计恢复 / expected recovery")
    cleared = parse_time(row.get("cleared_at"), "清除 / cleared")
    if cleared is not None and cleared < started:
        raise InvalidInput("清除时间早于开始时间 / cleared before it started")
    alarm = Alarm(
        id=None,
        site=_text(row, "site", "站点"),
        areas=areas,
        cells=cells,
        started_at=started,
        expected_recovery_at=recovery,
        cleared_at=cleared,
        description=_text(row, "description", "描述", required=False),
        branch=_text(row, "branch", "所属分公司", required=False),
    )
    return _text(row, "external_id", "告警编号"), alarm


def blind_spot_from_row(row: Row) -> tuple[str, BlindSpot]:
    name = _text(row, "name", "盲点名称")
    areas = split_list(row.get("areas")) or (name,)
    spot = BlindSpot(
        id=None,
        name=name,
        areas=areas,
        cells=split_list(row.get("cells")),
        polygon=parse_polygon(row.get("polygon")),
        planned_fix=_text(row, "planned_fix", "解决计划", required=False),
        branch=_text(row, "branch", "所属分公司", required=False),
    )
    return _text(row, "external_id", "盲点编号"), spot


def script_from_row(row: Row) -> tuple[str, Script]:
    phenomena = parse_phenomena(row.get("phenomena"))
    keywords = split_list(row.get("keywords"))
    if not phenomena and not keywords:
        raise InvalidInput("脚本须注明投诉现象或关键词 / a script needs phenomena or keywords")
    script = Script(
        id=None,
        title=_text(row, "title", "脚本名称"),
        explanation=_text(row, "explanation", "解释口径"),
        sms_template=check_template(_text(row, "sms_template", "短信模板")),
        phenomena=phenomena,
        keywords=keywords,
        handset_model=_text(row, "handset_model", "机型", required=False),
        os=_text(row, "os", "操作系统", required=False),
    )
    return _text(row, "external_id", "脚本编号"), script


def parse_all(rows: list[Row], parse: Callable[[Row], T]) -> list[T]:
    """All rows or none: the first bad row refuses the file, with its row number."""
    out: list[T] = []
    for number, row in enumerate(rows, start=2):
        try:
            out.append(parse(row))
        except InvalidInput as exc:
            raise InvalidInput(f"第{number}行 / row {number}: {exc}") from exc
    if not out:
        raise InvalidInput("文件中没有数据行 / the file has no data rows")
    return out


PARSERS: dict[str, Callable[[Row], Any]] = {
    "alarms": alarm_from_row,
    "blind-spots": blind_spot_from_row,
    "scripts": script_from_row,
}
