"""Charts as inline SVG, drawn on the server: ``bar_chart`` (horizontal bars) and ``donut_chart``.

Pure: values in, ``Markup`` out; the same input gives the same bytes.  Made for a page whose
Content-Security-Policy forbids inline styles: no ``style`` attribute anywhere, only class names
and SVG presentation attributes (``fill``, ``stroke``, ``x`` …), so the colours below are
defaults a stylesheet may override by class:

- ``svg.chart.chart-bar`` / ``svg.chart.chart-donut``; in it one ``g.bar`` (bars) or
  ``g.slice`` (donut: the ring segment and its legend row) per item, with ``p1`` … ``p6`` when
  the label begins with a priority (``"P1"``, ``"P2 · Rakipten geçiş"``), otherwise ``c1`` …
  ``c8`` by position; ``rect.bar-fill``, ``circle.slice-ring``, ``rect.swatch``,
  ``text.chart-label``, ``text.chart-value``, ``text.chart-empty``.

Accessible: ``role="img"`` named by the chart's ``<title>`` and described by a ``<desc>``
listing every label with its number; each item shows its label and number as text and has a
``<title>`` (the tooltip) with both; a long label is shortened on screen only.  With ``href``,
each item is a link (``href(label)``; an empty answer, or one that is not a path, query,
fragment or http(s) URL, leaves the item unlinked).  Every text and attribute is escaped.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

Items = Sequence[tuple[str, int]]
Href = Callable[[str], str]

WIDTH = 480
LABEL_CHARS = 26                    # longer labels are shortened on screen (full in <title>/<desc>)
PRIORITY_COLOURS = {"p1": "#b42318", "p2": "#c2410c", "p3": "#a15c07", "p4": "#1d4ed8", "p5": "#4b5563",
                    "p6": "#1f2937"}
SERIES_COLOURS = ("#0b5cad", "#0f766e", "#7c3aed", "#b45309", "#be123c", "#4d7c0f", "#0369a1", "#6b7280")
_PRIORITY = re.compile(r"P([1-6])\b")
_SAFE_LINK = re.compile(r"(?:/(?!/)|\?|#|https?://)", re.IGNORECASE)

# bar chart geometry
BAR_TOP, BAR_ROW, BAR_HEIGHT, BAR_X, BAR_MAX = 8, 28, 18, 176, 236
# donut geometry: ring centre, radius and thickness; legend rows to the right
RING_X, RING_Y, RING_R, RING_W, LEGEND_X, LEGEND_ROW = 72, 72, 52, 24, 160, 24


def format_count(n: int) -> str:
    """``1234567`` → ``"1 234 567"`` (no-break spaces: the same in Turkish and English)."""
    return f"{n:,}".replace(",", "\u00a0")


def bar_chart(items: Items, *, title: str, href: Href | None = None) -> Markup:
    """Horizontal bars, one per ``(label, number)`` in the given order, scaled to the largest."""
    top = max((n for _, n in items), default=0)
    rows = []
    for i, (label, n) in enumerate(items):
        y = BAR_TOP + i * BAR_ROW
        width = BAR_MAX * n / top if top > 0 and n > 0 else 0
        kind = _kind(label, i)
        body = (f'<rect class="bar-fill" x="{BAR_X}" y="{y}" width="{_num(width)}" height="{BAR_HEIGHT}" '
                f'fill="{_colour(kind)}"/>'
                f'<text class="chart-label" x="{BAR_X - 8}" y="{y + 13}" text-anchor="end" font-size="12">'
                f'{escape(_short(label))}</text>'
                f'<text class="chart-value" x="{_num(BAR_X + width + 6)}" y="{y + 13}" font-size="12">'
                f'{format_count(n)}</text>')
        rows.append(_item("bar", kind, label, n, body, href))
    height = BAR_TOP * 2 + BAR_ROW * len(items)
    return _svg("chart-bar", title, items, rows, height)


def donut_chart(items: Items, *, title: str, href: Href | None = None) -> Markup:
    """A ring cut into one segment per ``(label, number)`` (clockwise from the top), with a legend."""
    total = sum(max(n, 0) for _, n in items)
    circumference = 2 * math.pi * RING_R
    rows = []
    done = 0.0
    for i, (label, n) in enumerate(items):
        kind = _kind(label, i)
        length = circumference * max(n, 0) / total if total else 0.0
        y = 8 + i * LEGEND_ROW
        body = (f'<circle class="slice-ring" cx="{RING_X}" cy="{RING_Y}" r="{RING_R}" fill="none" '
                f'stroke="{_colour(kind)}" stroke-width="{RING_W}" '
                f'stroke-dasharray="{_num(length)} {_num(circumference - length)}" '
                f'stroke-dashoffset="{_num(-done)}" transform="rotate(-90 {RING_X} {RING_Y})"/>'
                if length > 0 else "")
        body += (f'<rect class="swatch" x="{LEGEND_X}" y="{y + 2}" width="12" height="12" fill="{_colour(kind)}"/>'
                 f'<text class="chart-label" x="{LEGEND_X + 18}" y="{y + 12}" font-size="12">'
                 f'{escape(_short(label))}</text>'
                 f'<text class="chart-value" x="{WIDTH - 8}" y="{y + 12}" text-anchor="end" font-size="12">'
                 f'{format_count(n)}</text>')
        rows.append(_item("slice", kind, label, n, body, href))
        done += length
    ring = (f'<circle class="ring-track" cx="{RING_X}" cy="{RING_Y}" r="{RING_R}" fill="none" stroke="#e5e7eb" '
            f'stroke-width="{RING_W}"/>')
    height = max(2 * RING_Y, 16 + LEGEND_ROW * len(items))
    return _svg("chart-donut", title, items, [ring, *rows] if items else rows, height)


# --- the parts both charts share ------------------------------------------------------------------

def _svg(kind: str, title: str, items: Items, rows: list[str], height: int) -> Markup:
    ident = "chart-" + hashlib.sha1(repr((kind, title, list(items))).encode()).hexdigest()[:10]
    if not items:
        rows = [f'<text class="chart-empty" x="{WIDTH // 2}" y="24" text-anchor="middle" font-size="12">—</text>']
        height = 40
    return Markup(f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" role="img" '
                  f'viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" '
                  f'aria-labelledby="{ident}-title {ident}-desc">'
                  f'<title id="{ident}-title">{escape(title)}</title>'
                  f'<desc id="{ident}-desc">{escape(_describe(items))}</desc>'
                  f'{"".join(rows)}</svg>')


def _item(group: str, kind: str, label: str, n: int, body: str, href: Href | None) -> str:
    g = f'<g class="{group} {kind}"><title>{escape(_text(label))}: {format_count(n)}</title>{body}</g>'
    link = href(label) if href is not None else ""
    if link and _SAFE_LINK.match(link.strip()):
        return f'<a href="{escape(link.strip())}">{g}</a>'
    return g


def _describe(items: Items) -> str:
    if not items:
        return "No data."
    return "; ".join(f"{_text(label)}: {format_count(n)}" for label, n in items) + "."


def _kind(label: str, index: int) -> str:
    """``p1`` … ``p6`` for a label that begins with a priority, else ``c1`` … ``c8`` by position."""
    match = _PRIORITY.match(_text(label))
    return f"p{match.group(1)}" if match else f"c{index % len(SERIES_COLOURS) + 1}"


def _colour(kind: str) -> str:
    return PRIORITY_COLOURS.get(kind) or SERIES_COLOURS[int(kind[1:]) - 1]


def _text(label: object) -> str:
    return "—" if label is None else str(label)


def _short(label: str) -> str:
    text = _text(label)
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1].rstrip() + "…"


def _num(x: float) -> str:
    """Coordinates with at most two decimals and no trailing zeros: ``12``, ``12.5``, ``12.35``."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


__all__ = ["bar_chart", "donut_chart", "format_count"]
