"""The words of the infrastructure sentence, per language: templates, subjects, country and
city names, and the Turkish locative suffix.  Pure data plus two small functions.

Every template is filled only with values the IP databases or the analysis hold.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["en", "tr"]

TEMPLATES: dict[Lang, dict[str, str]] = {
    "en": {
        "mail.platform": "mail on {provider} ({owner}'s network)",
        "mail.hosting": "mail hosted by {provider}",
        "mail.gateway": "{mail}, filtered by {gateway}",
        "mail.gateway_only": "mail filtered by {gateway}",
        "cdn": "{subject} behind a CDN ({cdn})",
        "special": "{subject} at a {label} address (not looked up)",
        "network": "on {network}",
        "place": "in {place}",
        "flags": "(flagged: {flags})",
        "network_name": "{org} (AS{asn})",
    },
    "tr": {
        "mail.platform": "e-posta {provider} üzerinde ({owner} altyapısı)",
        "mail.hosting": "e-posta {provider} altyapısında",
        "mail.gateway": "{mail}, {gateway} filtresinden geçiyor",
        "mail.gateway_only": "e-posta {gateway} filtresinden geçiyor",
        "cdn": "{subject} bir CDN arkasında ({cdn})",
        "special": "{subject} {label} bir adreste (sorgulanmadı)",
        "network": "{network} ağında",
        "place": "{place}",
        "flags": "({flags} olarak işaretli)",
        "network_name": "{org} (AS{asn})",
    },
}

SUBJECTS: dict[Lang, dict[str, str]] = {
    "en": {"web": "website", "own_mail": "own mail server", "web+own_mail": "website and own mail server",
           "own_autodiscover": "own Exchange (autodiscover) server"},
    "tr": {"web": "web sitesi", "own_mail": "kendi e-posta sunucusu",
           "web+own_mail": "web sitesi ve kendi e-posta sunucusu",
           "own_autodiscover": "kendi Exchange (autodiscover) sunucusu"},
}

KINDS: dict[Lang, dict[str, str]] = {
    "en": {"datacenter": "at a data centre", "residential": "on a residential connection"},
    "tr": {"datacenter": "bir veri merkezinde", "residential": "bir ev internet bağlantısında"},
}

FLAGS: dict[Lang, dict[str, str]] = {
    "en": {"proxy": "proxy", "vpn": "VPN", "tor": "Tor exit"},
    "tr": {"proxy": "proxy", "vpn": "VPN", "tor": "Tor çıkışı"},
}

# Labels of special addresses (never looked up), as ``integrations.ipfacts.classify`` names them.
SPECIAL: dict[Lang, dict[str, str]] = {
    "en": {"private": "private", "documentation": "documentation", "loopback": "loopback",
           "cgnat": "shared (CGNAT)", "link-local": "link-local", "multicast": "multicast",
           "benchmarking": "benchmarking", "broadcast": "broadcast", "reserved": "reserved",
           "unspecified": "unspecified"},
    "tr": {"private": "özel", "documentation": "dokümantasyon amaçlı", "loopback": "yerel (loopback)",
           "cgnat": "paylaşımlı (CGNAT)", "link-local": "link-local", "multicast": "multicast",
           "benchmarking": "test amaçlı", "broadcast": "yayın", "reserved": "ayrılmış",
           "unspecified": "belirsiz"},
}

# Whose network a cloud suite's mail runs on (catalogue key -> owner); else the provider's name.
NETWORK_OWNERS: dict[str, str] = {
    "m365": "Microsoft", "google": "Google", "yandex": "Yandex", "zoho": "Zoho",
    "icloud": "Apple", "proton": "Proton", "fastmail": "Fastmail",
}

COUNTRIES_TR: dict[str, str] = {
    "TR": "Türkiye", "DE": "Almanya", "GB": "Birleşik Krallık", "US": "ABD", "NL": "Hollanda",
    "FR": "Fransa", "SE": "İsveç", "NO": "Norveç", "FI": "Finlandiya", "DK": "Danimarka",
    "IE": "İrlanda", "IT": "İtalya", "ES": "İspanya", "PT": "Portekiz", "AT": "Avusturya",
    "CH": "İsviçre", "BE": "Belçika", "LU": "Lüksemburg", "PL": "Polonya", "CZ": "Çekya",
    "HU": "Macaristan", "RO": "Romanya", "BG": "Bulgaristan", "GR": "Yunanistan", "CY": "Kıbrıs",
    "RU": "Rusya", "UA": "Ukrayna", "AZ": "Azerbaycan", "IL": "İsrail", "AE": "Birleşik Arap Emirlikleri",
    "SA": "Suudi Arabistan", "CN": "Çin", "JP": "Japonya", "KR": "Güney Kore", "IN": "Hindistan",
    "SG": "Singapur", "HK": "Hong Kong", "CA": "Kanada", "AU": "Avustralya", "BR": "Brezilya",
}

CITIES_TR: dict[str, str] = {
    "London": "Londra", "Istanbul": "İstanbul", "Izmir": "İzmir", "Moscow": "Moskova",
    "Vienna": "Viyana", "Athens": "Atina", "Brussels": "Brüksel", "Munich": "Münih",
    "Cologne": "Köln", "Warsaw": "Varşova", "Rome": "Roma", "Milan": "Milano",
    "Lisbon": "Lizbon", "Copenhagen": "Kopenhag", "Prague": "Prag",
}

_BACK_VOWELS, _FRONT_VOWELS = "aıou", "eiöü"
_VOICELESS = "fstkçşhp"


def locative(word: str) -> str:
    """``word`` with the Turkish locative suffix after an apostrophe: İsveç'te, Almanya'da, ABD'de."""
    if word.isupper() and len(word) > 1:                     # an abbreviation, read letter by letter
        return f"{word}'{'da' if word[-1] in 'AIOUK' else 'de'}"
    lower = word.lower()
    vowel = next((c for c in reversed(lower) if c in _BACK_VOWELS + _FRONT_VOWELS), "e")
    a_or_e = "a" if vowel in _BACK_VOWELS else "e"
    t_or_d = "t" if lower[-1:] in _VOICELESS else "d"
    return f"{word}'{t_or_d}{a_or_e}"


def country_name(code: str | None, english: str | None, lang: Lang) -> str | None:
    if lang == "tr" and code and code.upper() in COUNTRIES_TR:
        return COUNTRIES_TR[code.upper()]
    return english or code


def city_name(city: str | None, lang: Lang) -> str | None:
    return CITIES_TR.get(city, city) if lang == "tr" and city else city
