"""Charts with matplotlib's Agg backend (no display, thread-safe ``Figure`` objects).

SVG keeps its text as text (``svg.fonttype = none``): the numbers stay searchable and the
page that embeds the chart inline renders them with its own Chinese fonts. PNG draws with the
first installed CJK font of ``CJK_FONTS``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from typing import Any, Literal

import matplotlib

matplotlib.use("Agg")

from matplotlib import rc_context
from matplotlib.figure import Figure

Format = Literal["svg", "png"]
CJK_FONTS = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "DejaVu Sans",
]
MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
OUTCOME_COLOURS = {
    "commended": "#2e7d32",
    "explain": "#f9a825",
    "accountable": "#c62828",
    "none": "#607d8b",
}
PASS_MARK_LINE = 70


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    outcome: str = "none"


def _render(figure: Figure, fmt: Format) -> bytes:
    out = BytesIO()
    with warnings.catch_warnings():
        # Without a CJK font the glyphs fall back to boxes: ugly, but never a failed report.
        warnings.filterwarnings("ignore", message=r".*[Gg]lyph.*missing")
        figure.savefig(out, format=fmt, bbox_inches="tight", dpi=120)
    return out.getvalue()


def _style() -> Any:
    return {
        "font.family": "sans-serif",
        "font.sans-serif": CJK_FONTS,
        "axes.unicode_minus": False,
        "svg.fonttype": "none",
        "svg.hashsalt": "complaintdesk",  # stable ids: the same data gives the same file
    }


def trend_chart(points: Sequence[tuple[str, int]], title: str, fmt: Format = "svg") -> bytes:
    """Complaints per month: bars with the count on top."""
    with rc_context(_style()):
        figure = Figure(figsize=(8, 3.6))
        ax = figure.subplots()
        labels = [p for p, _ in points]
        values = [n for _, n in points]
        bars = ax.bar(labels, values, color="#1565c0")
        ax.bar_label(bars, labels=[str(v) for v in values], fontsize=8)
        ax.set_title(title)
        ax.set_ylabel("投诉件数 / complaints")
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        ax.set_ylim(0, max([*values, 1]) * 1.15)
        return _render(figure, fmt)


def ranking_chart(bars: Sequence[Bar], title: str, fmt: Format = "svg") -> bytes:
    """Total scores, best at the top, coloured by outcome, with the 70-point line."""
    with rc_context(_style()):
        height = max(2.5, 0.32 * len(bars) + 1.2)
        figure = Figure(figsize=(8, height))
        ax = figure.subplots()
        ordered = list(reversed(bars))
        values = [float(b.value) for b in ordered]
        drawn = ax.barh(
            [b.label for b in ordered],
            values,
            color=[OUTCOME_COLOURS.get(b.outcome, "#607d8b") for b in ordered],
        )
        ax.bar_label(drawn, labels=[f"{b.value:.2f}" for b in ordered], fontsize=8, padding=2)
        ax.axvline(PASS_MARK_LINE, color="#c62828", linestyle="--", linewidth=1)
        ax.set_xlim(0, 105)
        ax.set_xlabel("总得分 / total score")
        ax.set_title(title)
        ax.tick_params(axis="y", labelsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        return _render(figure, fmt)
