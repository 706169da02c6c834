"""Turkish case and collation: ``İ``/``i`` and ``I``/``ı`` are two pairs, and the alphabet puts
``ç ğ ı ö ş ü`` after ``c g h o s u``.  Python's ``str.lower()`` turns ``I`` into ``i`` and
``İ`` into ``i`` plus a combining dot, and ``sorted`` puts ``Ç`` after ``Z``: both are wrong
for Turkish names, so lists shown to people are sorted and cased with these.  Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

# The Turkish alphabet with q, w, x where the Latin alphabet has them (brand names use them).
ALPHABET = "abcçdefgğhıijklmnoöpqrsştuüvwxyz"
_RANK = {letter: index for index, letter in enumerate(ALPHABET)}
_BASE = str.maketrans({"â": "a", "î": "i", "û": "u"})      # circumflex letters sort with their base


def lower(text: str) -> str:
    """Lower case the Turkish way: ``I`` → ``ı``, ``İ`` → ``i``."""
    return text.replace("I", "ı").replace("İ", "i").lower()


def upper(text: str) -> str:
    """Upper case the Turkish way: ``i`` → ``İ``, ``ı`` → ``I``."""
    return text.replace("i", "İ").replace("ı", "I").upper()


def sort_key(text: str) -> tuple[tuple[tuple[int, int], ...], str, str]:
    """Orders by the Turkish alphabet (digits first, other characters after the letters), then
    with the circumflex after the plain letter, then lower case before upper case."""
    low = lower(text)
    return tuple(_rank(c) for c in low.translate(_BASE)), low, text.swapcase()


def _rank(char: str) -> tuple[int, int]:
    if char in _RANK:
        return 1, _RANK[char]
    if char.isdigit():
        return 0, ord(char)
    return (2, ord(char)) if char.isalpha() else (-1, ord(char))


def sort(items: Iterable[T], key: Callable[[T], str] = str) -> list[T]:   # type: ignore[assignment]
    """``items`` in Turkish alphabetical order of ``key(item)``."""
    return sorted(items, key=lambda item: sort_key(key(item)))


__all__ = ["ALPHABET", "lower", "sort", "sort_key", "upper"]
