"""The monthly report as one printable HTML page (A4), charts embedded as inline SVG."""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def inline_svg(svg: bytes) -> Markup:
    """An SVG file as markup to put inside HTML: without its XML declaration and DOCTYPE."""
    return Markup(_PROLOGUE.sub("", svg.decode("utf-8"), count=1))


TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{{ title }}</title>
<style>
  @page { size: A4; margin: 16mm 14mm; }
  body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
         "Microsoft YaHei", sans-serif; color: #222; max-width: 190mm; margin: 0 auto;
         font-size: 10.5pt; line-height: 1.5; }
  h1 { font-size: 18pt; text-align: center; margin-bottom: 2pt; }
  .sub { text-align: center; color: #555; margin-top: 0; }
  h2 { font-size: 13pt; border-bottom: 2px solid #1565c0; padding-bottom: 2pt; margin-top: 18pt; }
  h3 { font-size: 11pt; margin-bottom: 4pt; }
  table { border-collapse: collapse; width: 100%; margin: 6pt 0 10pt; font-size: 9pt; }
  th, td { border: 1px solid #999; padding: 2pt 4pt; text-align: center; }
  th { background: #ddebf7; }
  td.name { text-align: left; }
  .commended { color: #2e7d32; font-weight: bold; }
  .explain { color: #b26a00; font-weight: bold; }
  .accountable { color: #c62828; font-weight: bold; }
  figure { margin: 6pt 0; page-break-inside: avoid; }
  figure svg { width: 100%; height: auto; }
  .note { color: #555; font-size: 8.5pt; }
  section { page-break-inside: auto; }
  @media print { .noprint { display: none; } h2 { page-break-after: avoid; } }
</style>
</head>
<body>
<p class="noprint" style="text-align:right">
<button onclick="window.print()">打印 / Print</button></p>
<h1>{{ title }}</h1>
<p class="sub">{{ scope_name }} · 统计期间 {{ period_label }}（{{ period }}）
· 生成时间 {{ generated_at }}</p>

<section id="summary">
<h2>一、总体情况</h2>
<p>本月共受理投诉 <strong id="month-total">{{ month_total }}</strong> 件{%
 if previous_total is not none %}，上月 {{ previous_total }} 件{% endif %}。
共向承办单位派单 <strong>{{ totals.received }}</strong> 件，按时签收 {{ totals.responded }} 件；
办结 <strong>{{ totals.closed }}</strong> 件，其中按时办结 {{ totals.closed_on_time }} 件；
回访评价 {{ totals.rated }} 次，满意（含基本满意）{{ totals.satisfied }} 次；
退单 {{ totals.returns }} 件，批准延期 {{ totals.extensions }} 件，
回访属实未解决 {{ totals.callback_failures }} 件。</p>
<figure id="trend-chart">{{ trend_svg }}</figure>
</section>

<section id="hotline">
<h2>二、承办单位办理指标（“三率”）</h2>
{% if hotline %}
<table>
<thead><tr><th>单位</th><th>派单</th><th>签收率</th><th>办结</th><th>按时办结率</th><th>解决率</th>
<th>满意率</th><th>重复投诉率</th><th>退单</th><th>延期</th><th>催办/督办/挂牌</th></tr></thead>
<tbody>
{% for u in hotline %}<tr><td class="name">{{ u.unit_name }}</td><td>{{ u.counts.received }}</td>
<td>{{ pct(u.rates.response_rate) }}</td><td>{{ u.counts.closed }}</td>
<td>{{ pct(u.rates.on_time_rate) }}</td><td>{{ pct(u.rates.resolution_rate) }}</td>
<td>{{ pct(u.rates.satisfaction_rate) }}</td><td>{{ pct(u.rates.repeat_rate) }}</td>
<td>{{ u.counts.returns }}</td><td>{{ u.counts.extensions }}</td>
<td>{{ u.counts.reminders }}/{{ u.counts.supervisions }}/{{ u.counts.listed_supervisions }}</td>
</tr>
{% endfor %}</tbody></table>
{% else %}<p>本月没有派单办理数据。</p>{% endif %}
<p class="note">签收率 = 派单后1个工作日内签收数 ÷ 派单数；
按时办结率 = 最后一次答复不晚于办理时限的办结数 ÷ 办结数；
解决率 = 回访满意或基本满意后办结数 ÷ 办结数；
满意率 = 满意及基本满意 ÷ 参与评价的回访次数。</p>
</section>

<section id="ranking">
<h2>三、科室测评排名</h2>
{% for c in ranking %}
<h3>{{ c.label }}</h3>
{% if c.rated %}
<figure class="ranking-chart">{{ c.svg }}</figure>
{% endif %}
<table>
<thead><tr><th>名次</th><th>单位</th><th>即时</th><th>综合</th><th>明察暗访</th><th>集中</th>
<th>综合满意度</th><th>整改</th><th>总得分</th><th>结果</th></tr></thead>
<tbody>
{% for u in c.units %}<tr><td>{{ u.rank if u.rank is not none else "—" }}</td>
<td class="name">{{ u.unit_name }}</td>
<td>{{ pct(u.satisfaction.instant) }}</td><td>{{ pct(u.satisfaction.monthly) }}</td>
<td>{{ pct(u.satisfaction.inspection) }}</td><td>{{ pct(u.satisfaction.concentrated) }}</td>
<td>{{ pct(u.overall_satisfaction) }}</td><td>{{ u.rectification }}</td>
<td>{{ num(u.total) }}</td><td class="{{ u.outcome }}">{{ u.outcome_label }}</td></tr>
{% endfor %}</tbody></table>
{% endfor %}
<p class="note">总得分 = 综合满意度 × 80 + 整改情况得分（基础分20分）；
综合满意度 = 20%即时测评 + 20%综合测评
+ 10%明察暗访 + 50%集中测评。各类别前6名为满意科室；
倒数3名且不低于70分的书面说明情况；低于70分的限期整改并问责。</p>
</section>

{% if telecom.branches or telecom.summary.tickets %}
<section id="telecom">
<h2>四、电信投诉预处理与分公司考核</h2>
<p>投诉工单 {{ telecom.summary.tickets }} 件，
一、二级预处理解决 {{ telecom.summary.preprocessed }} 件，
预处理成功率 <strong>{{ pct(telecom.summary.success_rate) }}</strong>；市分公司接收工单
{{ telecom.summary.branch_tickets }} 件，其中网络质量类 {{ telecom.summary.network_quality }} 件，
派单准确率 <strong>{{ pct(telecom.summary.dispatch_accuracy) }}</strong>。</p>
{% if telecom.branches %}
<table>
<thead><tr><th>分公司</th><th>用户数</th><th>工单</th><th>万用户投诉率</th><th>解决率</th>
<th>网优解决占比</th><th>回访属实未解决</th><th>得分</th></tr></thead>
<tbody>
{% for b in telecom.branches %}<tr><td class="name">{{ b.unit_name }}</td>
<td>{{ b.users if b.users is not none else "—" }}</td><td>{{ b.tickets }}</td>
<td>{{ num(b.complaints_per_10k) }}</td><td>{{ pct(b.resolution_rate) }}</td>
<td>{{ pct(b.optimisation_share) }}</td><td>{{ b.callback_failures }}</td>
<td>{{ num(b.points) }}</td></tr>
{% endfor %}</tbody></table>
{% endif %}
</section>
{% endif %}
</body>
</html>
"""

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
_TEMPLATE = _ENV.from_string(TEMPLATE)


def _pct(value: Any) -> str:
    return "—" if value is None else f"{value}%"


def _num(value: Any) -> str:
    return "—" if value is None else str(value)


def render_monthly(context: dict[str, Any]) -> str:
    return _TEMPLATE.render(pct=_pct, num=_num, **context)
