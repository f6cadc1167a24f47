"""Charts drawn on the server as SVG (pygal), with nothing that runs in the browser.

pygal links its tooltip script from the web by default: we turn that off (`js=[]`), strip
any script that might still appear, and give pygal's one `<style>` element the page's CSP
nonce, so the chart passes the strict Content-Security-Policy without a CDN or JavaScript.
Every chart is shown beside a table with the same figures (the accessible version).
"""

from __future__ import annotations

import math
import re

import pygal
from pygal.style import Style

from .stats import Breakdown, Row

STYLE = Style(
    font_family="'Source Sans 3', 'DejaVu Sans', sans-serif",
    background="transparent",
    plot_background="transparent",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    colors=("#1d4e89", "#d1495b", "#2e8540", "#edae49", "#00798c", "#6c4f9c", "#8d6a4f"),
    label_font_size=13,
    major_label_font_size=13,
    value_font_size=12,
    legend_font_size=13,
    title_font_size=16,
)
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S | re.I)
# Inline style attributes are blocked by the CSP (a nonce covers elements, not attributes):
# pygal's only one hides its tooltip, which an SVG presentation attribute does as well.
_STYLE_ATTR = re.compile(r'\sstyle="[^"]*"')


def _finish(svg: str, *, title: str, nonce: str | None) -> str:
    svg = _SCRIPT.sub("", svg)
    svg = svg.replace(' style="opacity: 0"', ' opacity="0"')
    svg = _STYLE_ATTR.sub("", svg)
    if nonce:
        svg = svg.replace("<style", f'<style nonce="{nonce}"', 1)
    # A text alternative on the chart itself; the table beside it carries the figures.
    return svg.replace(
        "<svg ",
        f'<svg role="img" aria-label="Chart: {title}. The same figures are in the table." ',
        1,
    )


def bar_chart(
    breakdown: Breakdown,
    series: list[str],
    *,
    nonce: str | None = None,
    horizontal: bool = True,
    width: int = 720,
) -> str:
    """The breakdown as an SVG bar chart: one bar per row, one series per school.

    Where each row belongs to one school only (a group, or a rule of one school's code), one
    bar per row is drawn instead: side by side, a trust's twenty schools would give each row
    twenty bars, nineteen of them empty, and a chart metres long. The row's label names its
    school and the table beside the chart has every school's figure."""
    if (
        horizontal
        and len(series) > 1
        and all(sum(map(bool, r.counts)) <= 1 for r in breakdown.rows)
    ):
        breakdown = Breakdown(
            breakdown.key,
            breakdown.title,
            [Row(r.label, [r.total]) for r in breakdown.rows],
            breakdown.unit,
        )
        series = ["All schools"]
    kind = pygal.HorizontalBar if horizontal else pygal.Bar
    height = max(220, 60 + 28 * len(breakdown.rows) * (len(series) if horizontal else 1))
    if not horizontal:
        height = 360
    chart = kind(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        width=width,
        height=height,
        show_legend=len(series) > 1,
        legend_at_bottom=True,
        print_values=False,
        x_label_rotation=0 if horizontal else 30,
        truncate_label=40,
        show_y_guides=not horizontal,
        show_x_guides=horizontal,
        min_scale=1,
        no_data_text="No data for this period",
        explicit_size=False,
    )
    # Whole numbers on the value axis: counts of cases are never 0.4.
    top = max((n for row in breakdown.rows for n in row.counts), default=0)
    step = max(1, math.ceil(top / 8))
    chart.y_labels = list(range(0, top + step + 1, step))
    labels = [row.label for row in breakdown.rows]
    if horizontal:
        labels = list(reversed(labels))
    chart.x_labels = labels
    for i, name in enumerate(series):
        # A zero draws no bar: None skips it (and its tooltip), which with a trust's twenty
        # schools is most of the work — each group and rule belongs to one school only.
        values = [row.counts[i] or None for row in breakdown.rows]
        chart.add(name, list(reversed(values)) if horizontal else values)
    return _finish(chart.render(is_unicode=True), title=breakdown.title, nonce=nonce)
