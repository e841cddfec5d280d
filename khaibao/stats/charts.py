"""Server-side SVG charts for the statistics dashboard (pygal), inlined in the page.

No JavaScript: pygal's config <script> is removed, and the numbers are always in a table
next to the chart. Text goes through ElementTree, which escapes it.

Hover text is ours too: the chart's <title> is its translated title (pygal writes "Pygal"), each
bar or dot says its label, series and value as a reader writes the number, and pygal's other
<title>s (the axis guides' raw positions, such as 0.125) and the <desc>s its JavaScript tooltip
reads are removed.

No inline style either, so the pages keep a Content-Security-Policy without 'unsafe-inline':
pygal's per-chart <style> is taken out and served once for every chart as a stylesheet
(`chart_stylesheet`, at backoffice:charts_css), and its style="..." attributes become SVG
presentation attributes (which CSP does not govern).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import date
from typing import Any
from xml.etree import ElementTree

import pygal
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from pygal.style import Style

from khaibao.declarations.labels import SYMPTOM_LABELS, label
from khaibao.stats.selectors import Summary

# The console's calm palette; the level colours match site.css (--green … --red).
LEVEL_HEX = {"low": "#1e7b34", "medium": "#b58900", "high": "#c4560c", "urgent": "#b3261e"}
_STYLE = Style(
    background="transparent",
    plot_background="#ffffff",
    foreground="#1b1f23",
    foreground_strong="#1b1f23",
    foreground_subtle="#d5dae0",
    opacity=".9",
    opacity_hover="1",
    colors=("#0b5cad", "#6b7280", "#1e7b34", "#c4560c", "#7a4fa3", "#b58900"),
    font_family='system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif',
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    value_font_size=13,
    title_font_size=16,
    guide_stroke_color="#d5dae0",
    major_guide_stroke_color="#d5dae0",
    guide_stroke_dasharray="2,3",
    major_guide_stroke_dasharray="2,3",
)
_COMMON: dict[str, Any] = {
    "style": _STYLE,
    "js": [],
    "disable_xml_declaration": True,
    "width": 800,
    "height": 320,
    "legend_at_bottom": True,
    "print_values": False,
    "show_y_guides": True,
    "margin": 12,
    "no_data_text": "",
}


# Selector every chart's CSS is scoped to, instead of pygal's per-chart "#chart-<uuid>".
_SCOPE = ".pygal-chart"
# Enough series colours for any chart here (symptom trends draw the most reported few).
_MAX_SERIES = 16


def _style_to_attributes(element: ElementTree.Element) -> None:
    """Turn `style="fill: #x; stroke: #x"` into presentation attributes (allowed under CSP)."""
    style = element.attrib.pop("style", "")
    for declaration in style.split(";"):
        name, _sep, value = declaration.partition(":")
        if name.strip() and value.strip():
            element.set(name.strip(), value.strip())


def _classes(element: ElementTree.Element) -> list[str]:
    return element.get("class", "").split()


def _number(text: str) -> str:
    """A value as the reader writes it: counts with the language's thousands separator."""
    try:
        value = float(text)
    except ValueError:
        return text
    return number_format(int(value) if value.is_integer() else value, force_grouping=True)


def _hover_texts(root: ElementTree.Element, series_titles: Sequence[str]) -> None:
    """Replace pygal's tooltip data (<desc>s read by its JavaScript, which is not loaded) on each
    bar or dot with a <title> a browser shows on hover: "label — series: value" (no series name
    where `series_titles` is empty: a chart without a legend has one series, named by its title)."""
    for serie in root.iter("g"):
        classes = _classes(serie)
        index = next((c.removeprefix("serie-") for c in classes if c.startswith("serie-")), "")
        if "series" not in classes or not index.isdigit():
            continue
        series_title = series_titles[int(index)] if int(index) < len(series_titles) else ""
        for group in serie.iter():
            descs = {next(iter(_classes(d)), ""): d for d in group if d.tag == "desc"}
            if "value" not in descs:
                continue
            for desc in descs.values():
                group.remove(desc)
            x_label = (descs["x_label"].text or "") if "x_label" in descs else ""
            value = _number(descs["value"].text or "")
            named = " — ".join(t for t in (x_label, series_title) if t)
            hover = ElementTree.Element("title")
            hover.text = f"{named}: {value}" if named else value
            group.insert(0, hover)


def _svg(chart: Any, title: str) -> SafeString:
    root = chart.render_tree()
    # pygal's own <title>s: the chart's ("Pygal" when untitled) and each axis guide's raw position.
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag == "title":
                parent.remove(child)
    series_titles = [str(config.get("title") or "") for _values, config in chart.raw_series]
    _hover_texts(root, series_titles if chart.config.show_legend else [])
    chart_title = ElementTree.Element("title")
    chart_title.text = title
    root.insert(0, chart_title)
    for parent in [root, *root.iter("defs")]:
        for child in list(parent):
            if child.tag in ("script", "style", ElementTree.Comment):
                parent.remove(child)
    for parent in list(root.iter()):
        for child in list(parent):
            # The hover tooltip is driven by pygal's JavaScript, which is not loaded.
            if "tooltip-overlay" in child.get("class", "").split():
                parent.remove(child)
    for element in root.iter():
        if "style" in element.attrib:
            _style_to_attributes(element)
    root.set("role", "img")
    root.set("aria-label", title)
    # Safe: ElementTree escapes every text and attribute value it serialises.
    return mark_safe(ElementTree.tostring(root, encoding="unicode"))  # noqa: S308


def _count_axis(chart: Any, values: Sequence[int]) -> None:
    # Counts of people and forms are whole numbers: no 0.2 ticks on a small day.
    top = max([*values, 1])
    step = max(1, math.ceil(top / 8))
    magnitude = 10 ** (len(str(step)) - 1)
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= step)
    chart.y_labels = list(range(0, top + step, step))


def _day_labels(days: Sequence[date]) -> tuple[list[str], int]:
    labels = [d.strftime("%d/%m") for d in days]
    return labels, max(1, len(days) // 14)


def activity_chart(summary: Summary) -> SafeString:
    """Declarations and daily updates per day."""
    title = _("Declarations and daily updates per day")
    labels, every = _day_labels([d.day for d in summary.series])
    chart = pygal.Bar(
        **_COMMON, x_labels_major_every=every, show_minor_x_labels=every == 1, truncate_label=-1, min_scale=1
    )
    chart.x_labels = labels
    chart.add(_("Declarations"), [d.declarations for d in summary.series])
    chart.add(_("Daily updates"), [d.daily_updates for d in summary.series])
    _count_axis(chart, [n for d in summary.series for n in (d.declarations, d.daily_updates)])
    return _svg(chart, title)


def levels_chart(people_by_level: dict[str, int], words: dict[str, str]) -> SafeString:
    """People by level, each bar in its level colour and labelled with the level's words."""
    title = _("People by level")
    chart = pygal.HorizontalBar(**{**_COMMON, "height": 220, "show_legend": False}, truncate_label=-1)
    chart.x_labels = [words[level] for level in LEVEL_HEX]
    chart.add(
        _("People"),
        [{"value": people_by_level.get(level, 0), "color": hex_} for level, hex_ in LEVEL_HEX.items()],
    )
    _count_axis(chart, list(people_by_level.values()))
    return _svg(chart, title)


def symptoms_chart(summary: Summary) -> SafeString:
    """Daily reports of the most reported symptoms."""
    title = _("Symptom trends")
    labels, every = _day_labels([d.day for d in summary.series])
    chart = pygal.Line(**_COMMON, x_labels_major_every=every, show_minor_x_labels=every == 1, dots_size=3)
    chart.x_labels = labels
    for code, counts in summary.symptom_series.items():
        chart.add(label(SYMPTOM_LABELS, code), counts)
    _count_axis(chart, [n for counts in summary.symptom_series.values() for n in counts])
    return _svg(chart, title)


def outcomes_chart(outcomes: dict[str, int], names: dict[str, str]) -> SafeString:
    """Follow-up actions recorded in the range, by kind."""
    title = _("Follow-up outcomes")
    chart = pygal.HorizontalBar(
        **{**_COMMON, "height": 60 + 32 * max(1, len(outcomes)), "show_legend": False}, truncate_label=-1
    )
    chart.x_labels = [names.get(code, code) for code in outcomes]
    chart.add(_("Actions"), list(outcomes.values()))
    _count_axis(chart, list(outcomes.values()))
    return _svg(chart, title)


@functools.cache
def chart_stylesheet() -> str:
    """pygal's CSS for this module's style, scoped to `.pygal-chart`: the same for every chart.

    Rendered from pygal itself (so it follows the installed version) with as many series
    colours as any chart here draws, once per process.
    """
    chart = pygal.Line(**_COMMON)
    for n in range(_MAX_SERIES):
        chart.add(str(n), [n])
    root = chart.render_tree()
    prefix = root.get("id", "")
    css = "\n".join(style.text or "" for style in root.iter("style"))
    return css.replace(f"#{prefix}", _SCOPE) if prefix else css
