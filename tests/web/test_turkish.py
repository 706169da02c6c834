"""hunter/web/turkish.py: Turkish case (İ/i, I/ı) and alphabetical order (ç ğ ı ö ş ü)."""

from __future__ import annotations

from hunter.web import turkish


def test_case_follows_the_turkish_pairs() -> None:
    assert turkish.lower("IŞIK İZMİR") == "ışık izmir"
    assert turkish.upper("istanbul ılıca çiğdem") == "İSTANBUL ILICA ÇİĞDEM"
    assert turkish.lower("İ") == "i" and len(turkish.lower("İstanbul")) == len("İstanbul")
    assert "İ".lower() != "i"                 # what Python does, and why this module exists


def test_names_sort_by_the_turkish_alphabet() -> None:
    names = ["Zoho", "Natro", "İsimtescil", "Isparta Host", "Çözüm", "cloud", "Öz", "ozan", "Şahin",
             "Güzel", "Ğ-test", "ılık", "ilk", "Ulu", "Ümit", "123 Hosting"]
    assert turkish.sort(names) == ["123 Hosting", "cloud", "Çözüm", "Güzel", "Ğ-test", "ılık", "Isparta Host",
                                   "ilk", "İsimtescil", "Natro", "ozan", "Öz", "Şahin", "Ulu", "Ümit", "Zoho"]


def test_lower_case_first_then_circumflex_after_the_plain_letter() -> None:
    assert turkish.sort(["Ali", "ali", "âli"]) == ["ali", "Ali", "âli"]
    assert turkish.sort([("b", 2), ("a", 1)], key=lambda item: item[0]) == [("a", 1), ("b", 2)]
