"""Macro-strings of RFC 7208 §7: validation and expansion.

Pure.  ``check`` validates a macro-string and ``expand`` expands one from a mapping of
macro letters to values; the caller builds that mapping (``%{p}`` needs DNS, see
``session.macro_values``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from .record import SpfSyntaxError

DOMAIN_LETTERS = frozenset("slodipvh")
EXPLANATION_LETTERS = DOMAIN_LETTERS | frozenset("crt")   # c, r, t only in exp= text (§7.1)

_TOKEN = re.compile(
    r"%\{(?P<letter>[^}])(?P<digits>[0-9]*)(?P<reverse>[rR]?)(?P<delimiters>[-.+,/_=]*)\}"
    r"|%(?P<escape>[%_-])"
    r"|(?P<literal>[^%]+)"
)
_ESCAPES = {"%": "%", "_": " ", "-": "%20"}


@dataclass(frozen=True, slots=True)
class Macro:
    """One ``%{...}`` macro-expand."""

    letter: str                 # as written: upper-case means URL-escape the value
    digits: int | None
    reverse: bool
    delimiters: str

    def expand(self, value: str) -> str:
        parts = re.split("[" + re.escape(self.delimiters or ".") + "]", value)
        if self.reverse:
            parts.reverse()
        if self.digits is not None:
            parts = parts[-self.digits:]
        text = ".".join(parts)
        return quote(text, safe="") if self.letter.isupper() else text


Token = Macro | str     # a macro or literal text (escapes already resolved)


def tokens(text: str, *, explanation: bool = False) -> list[Token]:
    """Split a macro-string into literals and macros; raises ``SpfSyntaxError``."""
    letters = EXPLANATION_LETTERS if explanation else DOMAIN_LETTERS
    return list(_tokens(text, letters, allow_space=explanation))


def _tokens(text: str, letters: frozenset[str], *, allow_space: bool) -> Iterator[Token]:
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise SpfSyntaxError(f"invalid macro at {text[position:position + 4]!r}: "
                                 "'%' must be followed by '{', '%', '_' or '-'")
        position = match.end()
        if match["literal"] is not None:
            yield _literal(match["literal"], allow_space=allow_space)
        elif match["escape"] is not None:
            yield _ESCAPES[match["escape"]]
        else:
            yield _macro(match, letters)


def _literal(text: str, *, allow_space: bool) -> str:
    for char in text:
        if not ("!" <= char <= "~" or (allow_space and char == " ")):
            raise SpfSyntaxError(f"character {char!r} is not allowed (visible ASCII only)")
    return text


def _macro(match: re.Match[str], letters: frozenset[str]) -> Macro:
    letter, digits = match["letter"], match["digits"]
    if letter.lower() not in letters:
        raise SpfSyntaxError(f"unknown macro letter in {match[0]!r}")
    if digits and int(digits) == 0:
        raise SpfSyntaxError(f"macro {match[0]!r}: the number of parts must not be zero")
    return Macro(letter, int(digits) if digits else None, bool(match["reverse"]),
                 match["delimiters"])


def check(text: str, *, explanation: bool = False) -> None:
    """Raise ``SpfSyntaxError`` unless ``text`` is a valid macro-string."""
    tokens(text, explanation=explanation)


def letters(text: str) -> set[str]:
    """Lower-case macro letters used in a (valid) macro-string."""
    return {t.letter.lower() for t in tokens(text, explanation=True) if isinstance(t, Macro)}


def ends_with_macro(text: str) -> bool:
    """True when the last token of a (valid) macro-string is a macro-expand (§7.1)."""
    found = list(_TOKEN.finditer(text))
    return bool(found) and found[-1]["literal"] is None


def expand(text: str, values: Mapping[str, str], *, explanation: bool = False) -> str:
    """Expand a macro-string; ``values`` maps lower-case macro letters to their values."""
    return "".join(t if isinstance(t, str) else t.expand(values[t.letter.lower()])
                   for t in tokens(text, explanation=explanation))
