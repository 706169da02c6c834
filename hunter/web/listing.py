"""The lead list's query string, read and written with the API's parameter names (``provider``,
``priority`` (repeatable), ``gateway``, ``sort``, ``cursor`` …, validated by the API's own
``ListQuery``), the facets beside it and the links that switch a filter, a sort or a page.

Every link keeps the other parameters (and ``lang`` when the URL has it), and drops the cursor
when the filter or the sort changes, so the URL in the address bar is always the page to share.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.requests import Request

from .. import exports
from ..api.schemas import ExportQuery, LeadSelection, ListQuery
from ..pipeline import Context
from ..store.facets import FACETS
from . import turkish
from .i18n import Translator

FILTERS = tuple(LeadSelection.model_fields)
KEYS = FILTERS + ("sort", "limit", "cursor", "offset")
PAGING = ("cursor", "offset")
PARAM = {"priority": "priority", "segment": "segment", "provider_key": "provider", "gateway_key": "gateway",
         "local_provider": "local_provider", "tenant_size": "tenant_size", "referral": "referral",
         "dynamics": "dynamics", "status": "status"}
NONE_VALUE = {"gateway_key": "false", "local_provider": "false"}       # "none" is a filter value there
ALPHABETICAL = ("provider_key", "gateway_key", "local_provider")
PRIORITIES = ("P1", "P2", "P3", "P4", "P5", "P6")
SORTABLE = {"score": ("-score", "score"), "scanned_at": ("-scanned_at", "scanned_at"), "priority": ("priority",),
            "domain": ("domain",), "company": ("company",)}


@dataclass(frozen=True, slots=True)
class ListState:
    query: ListQuery
    items: tuple[tuple[str, str], ...]      # the valid parameters as given, in order
    lang: str | None                        # ?lang= when the URL has it
    problem: str | None = None              # why the parameters were not usable

    def href(self, path: str = "/leads", *, drop: Sequence[str] = (), add: Sequence[tuple[str, str]] = ()) -> str:
        items = [(k, v) for k, v in self.items if k not in drop] + list(add)
        if self.lang:
            items.append(("lang", self.lang))
        return path + (f"?{urlencode(items)}" if items else "")

    def value(self, param: str) -> str | None:
        return next((v for k, v in self.items if k == param), None)

    def next_page(self, cursor: str) -> str:
        return self.href(drop=PAGING, add=[("cursor", cursor)])

    def first_page(self) -> str:
        return self.href(drop=PAGING)

    def export(self, ext: str) -> str:
        return self.href(f"/leads.{ext}", drop=PAGING + ("limit",))

    def sort_link(self, column: str) -> tuple[str, str | None]:
        """The link of a column header and its ``aria-sort`` (None when the list is not sorted by it)."""
        orders = SORTABLE[column]
        current = self.query.sort
        target = orders[1] if current == orders[0] and len(orders) > 1 else orders[0]
        state = ("descending" if current.startswith("-") else "ascending") if current in orders else None
        return self.href(drop=PAGING + ("sort",), add=[("sort", target)]), state

    @property
    def filtered(self) -> bool:
        return any(k in FILTERS for k, _ in self.items)

    def export_query(self) -> ExportQuery:
        return ExportQuery.model_validate(self.query.model_dump(include=set(ExportQuery.model_fields)))


def parse(request: Request) -> ListState:
    """The list's parameters; unknown ones (``lang``, ``job`` …) are ignored, empty ones dropped
    (a GET form sends every field), and invalid ones leave the list unfiltered with the reason."""
    items = tuple((k, v.strip()) for k, v in request.query_params.multi_items() if k in KEYS and v.strip())
    lang = request.query_params.get("lang")
    data: dict[str, object] = {}
    for key, value in items:
        if key == "priority":
            data.setdefault("priority", []).append(value)          # type: ignore[union-attr]
        else:
            data[key] = value
    try:
        return ListState(ListQuery.model_validate(data), items, lang)
    except ValidationError as exc:
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        return ListState(ListQuery(), (), lang, problem=where)


# --- facets ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool
    href: str


@dataclass(frozen=True, slots=True)
class Facet:
    field: str
    param: str
    values: list[FacetValue]
    clear: str | None                       # the link removing this facet's filter, when set


def facets(counts: dict[str, list[tuple[str | None, int]]], state: ListState, *, t: Translator,
           ctx: Context) -> list[Facet]:
    label = labeller(t, ctx)
    found = []
    for field in FACETS:
        param = PARAM[field]
        values = [_value(field, param, raw, n, state, label) for raw, n in counts.get(field, [])]
        shown = [v for v in values if v is not None]
        if field == "priority":
            shown.sort(key=lambda v: v.value)
        elif field in ALPHABETICAL:
            shown = turkish.sort(shown, key=lambda v: v.label)
        set_ = any(k == param for k, _ in state.items)
        found.append(Facet(field, param, shown, state.href(drop=PAGING + (param,)) if set_ else None))
    return found


def _value(field: str, param: str, raw: str | None, count: int, state: ListState,
           label: Callable[[str, str | None], str]) -> FacetValue | None:
    value = raw if raw is not None else NONE_VALUE.get(field)
    if value is None:
        return None                         # never scanned: no filter names it
    current = [v for k, v in state.items if k == param]
    selected = value.lower() in (c.lower() for c in current)
    if field == "priority":
        chosen = [v for v in current if v != value] if selected else current + [value]
        href = state.href(drop=PAGING + (param,), add=[(param, v) for v in chosen])
    else:
        href = state.href(drop=PAGING + (param,), add=[] if selected else [(param, value)])
    return FacetValue(value, label(field, raw), count, selected, href)


def labeller(t: Translator, ctx: Context) -> Callable[[str, str | None], str]:
    """How a facet value (or a lead's field) reads in the page's language."""
    rules, catalogue = ctx.scoring_rules, ctx.catalogue

    def label(field: str, raw: str | None) -> str:
        if field == "priority" and raw in rules.priorities:
            return getattr(rules.priorities[raw], t.lang)
        if field == "segment" and raw in rules.segments:
            return getattr(rules.segments[raw], t.lang)
        if field in ("provider_key", "gateway_key"):
            if raw is None:
                return t("facet.no_gateway")
            return t.maybe(f"provider.{raw}", exports.provider_name(catalogue, raw)) or raw
        if field == "local_provider":
            return raw if raw is not None else t("facet.no_local")
        if field in ("tenant_size", "referral", "dynamics", "status"):
            return t.maybe(f"{field}.{raw}", raw) or "–"
        return raw or "–"

    return label


__all__ = ["Facet", "FacetValue", "ListState", "PRIORITIES", "facets", "labeller", "parse"]
