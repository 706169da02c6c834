"""hunter/web/charts.py: accessible inline SVG, escaped, no inline styles, deterministic."""

from __future__ import annotations

import ast
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from markupsafe import Markup

from hunter.web import charts
from hunter.web.charts import bar_chart, donut_chart, format_count

SVG = "{http://www.w3.org/2000/svg}"
CHARTS = [bar_chart, donut_chart]
ITEMS = [("P1 · Yüksek potansiyel", 1234), ("P2", 56), ("Rakip & Co", 0)]


def parse(svg: Markup) -> ET.Element:
    return ET.fromstring(str(svg))


def texts(root: ET.Element, cls: str) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text") if cls in t.get("class", "").split()]


@pytest.mark.parametrize("draw", CHARTS)
def test_accessible_svg_with_every_label_and_number_as_text(draw) -> None:
    svg = draw(ITEMS, title="Öncelik")
    assert isinstance(svg, Markup)
    root = parse(svg)
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{SVG}title").get("id") == title_id and root.find(f"{SVG}title").text == "Öncelik"
    desc = root.find(f"{SVG}desc")
    assert desc.get("id") == desc_id
    assert desc.text == "P1 · Yüksek potansiyel: 1\u00a0234; P2: 56; Rakip & Co: 0."
    assert texts(root, "chart-label") == ["P1 · Yüksek potansiyel", "P2", "Rakip & Co"]
    assert texts(root, "chart-value") == ["1\u00a0234", "56", "0"]
    tips = [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")]
    assert tips == ["P1 · Yüksek potansiyel: 1\u00a0234", "P2: 56", "Rakip & Co: 0"]


@pytest.mark.parametrize("draw", CHARTS)
def test_labels_titles_and_links_are_escaped(draw) -> None:
    evil = '<script>alert("x")</script>'
    svg = draw([(evil, 3)], title="<b>t</b>", href=lambda label: f'/leads?q={label}&x="1"')
    text = str(svg)
    assert "<script>" not in text and "<b>" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    root = parse(svg)                              # still well-formed XML
    assert root.find(f"{SVG}title").text == "<b>t</b>"
    link = root.find(f"{SVG}a")
    assert link.get("href") == '/leads?q=<script>alert("x")</script>&x="1"'
    assert [g.find(f"{SVG}title").text for g in root.iter(f"{SVG}g")] == [f"{evil}: 3"]


@pytest.mark.parametrize("draw", CHARTS)
def test_no_inline_styles_only_classes(draw) -> None:
    text = str(draw(ITEMS, title="t", href=lambda label: "/leads"))
    assert not re.search(r"\sstyle\s*=", text) and "<style" not in text
    classes = re.findall(r'<g class="([^"]+)"', text)
    group = "bar" if draw is bar_chart else "slice"
    assert classes == [f"{group} p1", f"{group} p2", f"{group} c3"]


@pytest.mark.parametrize("draw", CHARTS)
def test_links_only_where_the_callable_gives_a_safe_one(draw) -> None:
    links = {"a": "/leads?priority=P1", "b": "", "c": "javascript:alert(1)", "d": "https://crm.example/x",
             "e": "//elsewhere.test/"}
    root = parse(draw([(k, 1) for k in links], title="t", href=links.__getitem__))
    assert [a.get("href") for a in root.iter(f"{SVG}a")] == ["/leads?priority=P1", "https://crm.example/x"]
    assert [a.find(f"{SVG}g/{SVG}title").text for a in root.iter(f"{SVG}a")] == ["a: 1", "d: 1"]
    assert len(list(root.iter(f"{SVG}g"))) == 5


@pytest.mark.parametrize("draw", CHARTS)
def test_empty_input(draw) -> None:
    root = parse(draw([], title="Segment"))
    assert root.get("role") == "img" and root.find(f"{SVG}desc").text == "No data."
    assert list(root.iter(f"{SVG}g")) == [] and texts(root, "chart-empty") == ["—"]


def test_a_single_bar_fills_the_width_and_zero_draws_nothing() -> None:
    root = parse(bar_chart([("P3", 7)], title="t"))
    assert [r.get("width") for r in root.iter(f"{SVG}rect")] == [str(charts.BAR_MAX)]
    zero = parse(bar_chart([("a", 0), ("b", 0)], title="t"))
    assert [r.get("width") for r in zero.iter(f"{SVG}rect")] == ["0", "0"]
    half = parse(bar_chart([("a", 10), ("b", 5)], title="t"))
    assert [r.get("width") for r in half.iter(f"{SVG}rect")] == ["236", "118"]


def test_a_single_slice_is_the_whole_ring_and_slices_follow_each_other() -> None:
    whole = 2 * 3.141592653589793 * charts.RING_R
    one = [c for c in parse(donut_chart([("x", 5)], title="t")).iter(f"{SVG}circle") if c.get("class") == "slice-ring"]
    assert [c.get("stroke-dasharray") for c in one] == [f"{whole:.2f} 0"]
    rings = [c for c in parse(donut_chart([("a", 3), ("b", 1), ("c", 0)], title="t")).iter(f"{SVG}circle")
             if c.get("class") == "slice-ring"]
    assert [c.get("stroke-dashoffset") for c in rings] == ["0", f"-{whole * 3 / 4:.2f}"]   # "c" (0) draws no arc


def test_numbers_are_grouped() -> None:
    assert [format_count(n) for n in (0, 999, 1000, 100000, 1234567)] == [
        "0", "999", "1\u00a0000", "100\u00a0000", "1\u00a0234\u00a0567"]
    assert texts(parse(bar_chart([("a", 100000)], title="t")), "chart-value") == ["100\u00a0000"]


@pytest.mark.parametrize("draw", CHARTS)
def test_the_same_input_gives_the_same_bytes(draw) -> None:
    assert draw(ITEMS, title="t") == draw(list(ITEMS), title="t")
    ids = {parse(draw(ITEMS, title=title)).get("aria-labelledby") for title in ("a", "b")}
    assert len(ids) == 2                          # two charts on one page never share an id


def test_priority_colours_only_for_priority_labels() -> None:
    kinds = re.findall(r'<g class="bar ([^"]+)"', str(bar_chart(
        [("P1", 1), ("P6 · No-go", 1), ("P7", 1), ("Plan", 1), ("P10", 1)] + [(f"s{i}", 1) for i in range(5)],
        title="t")))
    assert kinds == ["p1", "p6", "c3", "c4", "c5", "c6", "c7", "c8", "c1", "c2"]


def test_a_long_label_is_shortened_on_screen_only() -> None:
    label = "Güvenlik ağ geçidi arkasında bilinmiyor"
    root = parse(bar_chart([(label, 2)], title="t"))
    shown = texts(root, "chart-label")[0]
    assert shown.endswith("…") and len(shown) <= charts.LABEL_CHARS and label.startswith(shown[:-1])
    assert root.find(f"{SVG}desc").text == f"{label}: 2."


def test_imports_only_markupsafe_and_the_standard_library() -> None:
    tree = ast.parse(Path(charts.__file__).read_text())
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert names - set(sys.stdlib_module_names) == {"markupsafe"}
