"""Which column of a lead file holds what.

Header names are compared by :func:`fold`: Turkish lower case (``İ``→``i``, ``I``→``ı``), then
ASCII-folded (``ı``→``i``, ``ş``→``s`` …) with spaces and punctuation removed, so ``WEB SİTESİ``,
``Web Sitesi``, ``WEB SITESI`` and ``web_sitesi`` are one key. Whole names are compared, never
substrings: ``Adres`` or ``Fatura Adresi`` is not ``Web Adresi`` and is never chosen.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Role = Literal["website", "email", "domain", "company"]

VALUE_ROLES: tuple[Role, ...] = ("website", "email", "domain")  # best first
HEADER_SCAN_ROWS = 20

NAMES: dict[Role, tuple[str, ...]] = {
    "website": ("web sitesi", "web adresi", "website", "web site", "web", "url", "site", "www",
                "internet adresi", "internet sitesi", "web sayfası", "site adresi", "homepage",
                "web address"),
    "email": ("e-posta", "eposta", "e-mail", "email", "mail", "mail adresi", "e-posta adresi",
              "e-mail adresi", "email address", "e-mail address"),
    "domain": ("domain", "alan adı", "domain adı", "domain name", "etki alanı"),
    "company": ("firma ünvanı", "firma ünvan", "firma adı", "firma", "şirket", "şirket adı",
                "şirket ünvanı", "unvan", "ticari unvan", "company", "company name", "müşteri",
                "müşteri adı", "account name", "account", "kurum", "kurum adı"),
}

# A cell holding one of these (Turkish lower case) counts as empty when choosing the value.
PLACEHOLDERS = frozenset({"-", "--", "—", "–", ".", "?", "0", "x", "yok", "none", "null",
                          "n/a", "na", "#n/a", "boş"})

_SEPARATORS = re.compile(r"[\W_]+")


def turkish_lower(text: str) -> str:
    """Lower case by Turkish rules: ``İ``→``i``, ``I``→``ı``, then ``str.casefold``."""
    return text.replace("İ", "i").replace("I", "ı").casefold()


def fold(text: str) -> str:
    """The comparison key of a header: ``'WEB SİTESİ'`` → ``'websitesi'``."""
    lowered = unicodedata.normalize("NFKD", turkish_lower(text).replace("ı", "i"))
    plain = "".join(c for c in lowered if not unicodedata.combining(c))
    return _SEPARATORS.sub("", plain)


_ROLES: dict[str, Role] = {fold(name): role for role, names in NAMES.items() for name in names}


def role_of(header: str) -> Role | None:
    """The role a header names, or None (addresses, phones and anything unknown)."""
    return _ROLES.get(fold(header))


def is_placeholder(cell: str) -> bool:
    return turkish_lower(cell) in PLACEHOLDERS


def column_letter(index: int) -> str:
    """Excel's name of a 0-based column index: 0 → ``A``, 26 → ``AA``."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def field_keys(cells: Sequence[str]) -> tuple[str, ...]:
    """Keys for ``LeadRow.fields``: the header, its column letter when blank, ``X (2)`` when repeated."""
    keys: list[str] = []
    seen: dict[str, int] = {}
    for index, cell in enumerate(cells):
        base = cell.strip() or column_letter(index)
        seen[base] = seen.get(base, 0) + 1
        keys.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return tuple(keys)


@dataclass(frozen=True, slots=True)
class Layout:
    """The header row of a table and what its columns mean."""

    row: int                    # source row number of the header
    header: tuple[str, ...]     # the header cells, stripped
    keys: tuple[str, ...]       # field names, one per header cell
    values: tuple[int, ...]     # columns that may hold the value, best first
    company: int | None
    matched: int                # how many header cells have a known role

    def value_of(self, cells: Sequence[str]) -> tuple[str, str | None]:
        """The first non-empty value column by priority, with its key; ``("", None)`` if none."""
        for index in self.values:
            cell = cells[index] if index < len(cells) else ""
            if cell and not is_placeholder(cell):
                return cell, self.keys[index]
        return "", None

    def company_of(self, cells: Sequence[str]) -> str | None:
        if self.company is None or self.company >= len(cells):
            return None
        return cells[self.company] or None

    def fields(self, cells: Sequence[str]) -> dict[str, str]:
        row = {key: (cells[i] if i < len(cells) else "") for i, key in enumerate(self.keys)}
        for index in range(len(self.keys), len(cells)):
            if cells[index]:
                row.setdefault(column_letter(index), cells[index])
        return row


def find_header(rows: Iterable[tuple[int, Sequence[str]]]) -> Layout | None:
    """The row naming the most known columns, at least one of them a value column; first wins ties."""
    best: Layout | None = None
    for number, cells in rows:
        layout = _layout(number, [c.strip() for c in cells])
        if layout is not None and (best is None or layout.matched > best.matched):
            best = layout
    return best


def _layout(number: int, cells: list[str]) -> Layout | None:
    roles = [role_of(cell) if cell else None for cell in cells]
    values = tuple(i for want in VALUE_ROLES for i, role in enumerate(roles) if role == want)
    if not values:
        return None
    company = next((i for i, role in enumerate(roles) if role == "company"), None)
    matched = sum(role is not None for role in roles)
    return Layout(number, tuple(cells), field_keys(cells), values, company, matched)
