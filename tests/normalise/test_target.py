"""hunter.normalise.target: one input line → Target."""

from __future__ import annotations

import dataclasses

import idna
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hunter import normalise
from hunter.normalise import target
from hunter.normalise.target import Target, parse

# input, domain, registrable_domain, kind
OK_CASES: list[tuple[str, str, str, str]] = [
    # plain domains, case, spaces, dots
    ("firma.com.tr", "firma.com.tr", "firma.com.tr", "domain"),
    ("FIRMA.COM.TR", "firma.com.tr", "firma.com.tr", "domain"),
    ("  firma.com.tr  ", "firma.com.tr", "firma.com.tr", "domain"),
    ("firma . com . tr", "firma.com.tr", "firma.com.tr", "domain"),
    ("firma.com.", "firma.com", "firma.com", "domain"),
    ("firma.com..", "firma.com", "firma.com", "domain"),
    ("\ufefffirma.com\u200b", "firma.com", "firma.com", "domain"),
    ('"firma.com",', "firma.com", "firma.com", "domain"),
    ("firma-ltd.com", "firma-ltd.com", "firma-ltd.com", "domain"),
    ("123firma.net", "123firma.net", "123firma.net", "domain"),
    # sub-domains are kept; the registrable domain comes from the PSL
    ("mail.firma.com.tr", "mail.firma.com.tr", "firma.com.tr", "domain"),
    ("a.b.firma.co.uk", "a.b.firma.co.uk", "firma.co.uk", "domain"),
    ("okul.k12.tr", "okul.k12.tr", "okul.k12.tr", "domain"),
    ("ankara.bel.tr", "ankara.bel.tr", "ankara.bel.tr", "domain"),
    ("firma.av.tr", "firma.av.tr", "firma.av.tr", "domain"),
    ("blog.firma.blogspot.com", "blog.firma.blogspot.com", "firma.blogspot.com", "domain"),
    # www
    ("www.firma.com.tr", "firma.com.tr", "firma.com.tr", "domain"),
    ("WWW.Firma.Com.Tr", "firma.com.tr", "firma.com.tr", "domain"),
    ("www2.firma.com", "firma.com", "firma.com", "domain"),
    ("www.www.firma.com", "firma.com", "firma.com", "domain"),
    ("www.com", "www.com", "www.com", "domain"),            # www is the registrable label
    ("wwwfirma.com", "wwwfirma.com", "wwwfirma.com", "domain"),
    ("www3x.firma.com", "www3x.firma.com", "firma.com", "domain"),
    ("web.firma.com", "web.firma.com", "firma.com", "domain"),
    # URLs
    ("http://firma.com", "firma.com", "firma.com", "url"),
    ("https://www.firma.com.tr/", "firma.com.tr", "firma.com.tr", "url"),
    ("HTTPS://WWW.FIRMA.COM.TR/Iletisim?a=1#x", "firma.com.tr", "firma.com.tr", "url"),
    ("https://user:pw@www.firma.com.tr:8443/a", "firma.com.tr", "firma.com.tr", "url"),
    ("ftp://files.firma.com", "files.firma.com", "firma.com", "url"),
    ("//firma.com/path", "firma.com", "firma.com", "url"),
    ("firma.com/urunler", "firma.com", "firma.com", "url"),
    ("firma.com:8080", "firma.com", "firma.com", "url"),
    ("firma.com?ref=x", "firma.com", "firma.com", "url"),
    ("http:/firma.com", "firma.com", "firma.com", "url"),
    ("https:firma.com", "firma.com", "firma.com", "url"),
    ("<https://firma.com>", "firma.com", "firma.com", "url"),
    ("firma.com/ürünler", "firma.com", "firma.com", "url"),
    # e-mail
    ("info@firma.com.tr", "firma.com.tr", "firma.com.tr", "email"),
    ("INFO@FIRMA.COM.TR", "firma.com.tr", "firma.com.tr", "email"),
    ("mailto:info@firma.com.tr", "firma.com.tr", "firma.com.tr", "email"),
    ("MAILTO:info@firma.com.tr?subject=Teklif", "firma.com.tr", "firma.com.tr", "email"),
    ("Ali Veli <ali@firma.com.tr>", "firma.com.tr", "firma.com.tr", "email"),
    ('"Veli, Ali" <ali@mail.firma.com.tr>', "mail.firma.com.tr", "firma.com.tr", "email"),
    ("ali@firma.com.tr; veli@firma.com.tr", "firma.com.tr", "firma.com.tr", "email"),
    ("ali@www.firma.com", "firma.com", "firma.com", "email"),
    # IDN: Turkish and others, UTS-46 non-transitional
    ("şirket.com.tr", "xn--irket-idb.com.tr", "xn--irket-idb.com.tr", "domain"),
    ("ŞİRKET.com.tr", "xn--irket-idb.com.tr", "xn--irket-idb.com.tr", "domain"),
    ("Şi\u0307rket.com.tr", "xn--irket-idb.com.tr", "xn--irket-idb.com.tr", "domain"),
    ("çiçek.com", "xn--iek-1lab.com", "xn--iek-1lab.com", "domain"),
    ("ÇİÇEK.COM", "xn--iek-1lab.com", "xn--iek-1lab.com", "domain"),
    ("İSTANBUL.COM", "istanbul.com", "istanbul.com", "domain"),
    ("ISTANBUL.COM", "istanbul.com", "istanbul.com", "domain"),
    ("ıstanbul.com", "xn--stanbul-qfb.com", "xn--stanbul-qfb.com", "domain"),
    ("güneş-enerji.com.tr", "xn--gne-enerji-9db40j.com.tr", "xn--gne-enerji-9db40j.com.tr", "domain"),
    ("https://www.öğretmen.net/", "xn--retmen-vxa24a.net", "xn--retmen-vxa24a.net", "url"),
    ("bilgi@çiçek.com.tr", "xn--iek-1lab.com.tr", "xn--iek-1lab.com.tr", "email"),
    ("xn--iek-1lab.com", "xn--iek-1lab.com", "xn--iek-1lab.com", "domain"),
    ("faß.de", "xn--fa-hia.de", "xn--fa-hia.de", "domain"),     # non-transitional: ß kept
    ("ﬁrma．com", "firma.com", "firma.com", "domain"),          # UTS-46 mapping
    ("bücher.中国", "xn--bcher-kva.xn--fiqs8s", "xn--bcher-kva.xn--fiqs8s", "domain"),
    # consumer domains are fine as websites/domains
    ("gmail.com", "gmail.com", "gmail.com", "domain"),
    ("https://www.hotmail.com", "hotmail.com", "hotmail.com", "url"),
]

# input, kind, reason fragment
INVALID_CASES: list[tuple[str, str, str]] = [
    ("", "unknown", "placeholder"),
    ("   ", "unknown", "placeholder"),
    ("nan", "unknown", "placeholder"),
    ("NaN", "unknown", "placeholder"),
    ("None", "unknown", "placeholder"),
    ("null", "unknown", "placeholder"),
    ("-", "unknown", "placeholder"),
    ("web sitesi", "unknown", "placeholder"),
    ("Web  Sitesi", "unknown", "placeholder"),
    ("yok", "unknown", "placeholder"),
    ("YOK", "unknown", "placeholder"),
    ("n/a", "unknown", "placeholder"),
    ("N/A", "unknown", "placeholder"),
    ("Firma Ltd. Şti.", "unknown", "free text"),
    ("ABC İnşaat A.Ş.", "unknown", "free text"),
    ("bilgi at firma.com", "unknown", "free text"),
    ("+90 212 555 12 12", "unknown", "phone"),
    ("0212 555 1212", "unknown", "phone"),
    ("(0212) 555-12-12", "unknown", "phone"),
    ("05321234567", "unknown", "phone"),
    ("192.168.1.10", "unknown", "IP address"),
    ("2001:db8::1", "unknown", "IP address"),
    ("[2001:db8::1]", "unknown", "IP address"),
    ("http://10.0.0.1/admin", "url", "IP address"),
    ("http://[2001:db8::1]:8080/", "url", "IPv6"),
    ("firma", "domain", "no dot"),
    ("localhost", "domain", "no dot"),
    ("com.tr", "domain", "public suffix"),
    ("gov.tr", "domain", "public suffix"),
    ("co.uk", "domain", "public suffix"),
    ("firma.local", "domain", "unknown top-level domain"),
    ("firma.comtr", "domain", "unknown top-level domain"),
    ("a" * 64 + ".com", "domain", "longer than 63"),
    (".".join(["a" * 60] * 5) + ".com", "domain", "longer than 253"),
    ("fir$ma.com", "domain", "invalid character"),
    ("firma!.com", "domain", "invalid character"),
    ("_dmarc.firma.com", "domain", "underscore"),
    ("firma_ltd.com", "domain", "underscore"),
    ("-firma.com", "domain", "hyphen"),
    ("firma..com", "domain", "empty label"),
    (".firma.com", "domain", "empty label"),
    ("xn--zz.com", "domain", "punycode"),
    ("firma.123", "domain", "numeric top-level"),
    ("firma.com:abc", "url", "port"),
    ("http://", "url", "without a host"),
    ("@firma.com", "email", "local part"),
    ("ali@firma", "email", "no dot"),
    # consumer mail domains given as e-mail addresses
    ("ali@gmail.com", "email", "consumer mail domain gmail.com"),
    ("ali@googlemail.com", "email", "consumer mail domain"),
    ("ALI@HOTMAIL.COM", "email", "consumer mail domain hotmail.com"),
    ("ali@hotmail.com.tr", "email", "consumer mail domain hotmail.com.tr"),
    ("ali@outlook.com", "email", "consumer mail domain"),
    ("ali@outlook.com.tr", "email", "consumer mail domain"),
    ("ali@live.com", "email", "consumer mail domain"),
    ("ali@msn.com", "email", "consumer mail domain"),
    ("ali@yahoo.com", "email", "consumer mail domain"),
    ("ali@yahoo.com.tr", "email", "consumer mail domain"),
    ("ali@yandex.com", "email", "consumer mail domain"),
    ("ali@yandex.com.tr", "email", "consumer mail domain"),
    ("ali@icloud.com", "email", "consumer mail domain"),
    ("ali@me.com", "email", "consumer mail domain"),
    ("ali@mynet.com", "email", "consumer mail domain"),
    ("ali@aol.com", "email", "consumer mail domain"),
    ("ali@proton.me", "email", "consumer mail domain"),
    ("ali@protonmail.com", "email", "consumer mail domain"),
    ("ali@gmx.de", "email", "consumer mail domain gmx.de"),
    ("ali@gmx.net", "email", "consumer mail domain gmx.net"),
    ("ali@mail.ru", "email", "consumer mail domain"),
    ("mailto:ali@gmail.com", "email", "consumer mail domain"),
    ("Ali <ali@GMAIL.com>", "email", "consumer mail domain"),
]


@pytest.mark.parametrize("text, domain, registrable, kind", OK_CASES)
def test_ok(text: str, domain: str, registrable: str, kind: str) -> None:
    assert parse(text) == Target(text, domain, "ok", None, registrable, kind)  # type: ignore[arg-type]


@pytest.mark.parametrize("text, kind, reason", INVALID_CASES)
def test_invalid(text: str, kind: str, reason: str) -> None:
    result = parse(text)
    assert (result.status, result.domain, result.registrable_domain, result.kind) == (
        "invalid", None, None, kind)
    assert result.reason is not None and reason in result.reason
    assert result.input == text


def test_table_size() -> None:
    assert len(OK_CASES) + len(INVALID_CASES) >= 60


def test_non_text_values_from_spreadsheets_never_raise() -> None:
    for value in (None, float("nan"), 42, 3.5):
        result = parse(value)  # type: ignore[arg-type]
        assert result.status == "invalid" and isinstance(result.input, str)


def test_reexported_from_the_package() -> None:
    assert normalise.parse is parse and normalise.Target is Target


def test_target_is_frozen_with_slots() -> None:
    result = parse("firma.com")
    assert not hasattr(result, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.domain = "x.com"  # type: ignore[misc]


def test_target_checks_its_fields() -> None:
    with pytest.raises(ValueError):
        Target("x", None, "ok", None, None, "domain")


def test_why_turkish_capital_i_is_pre_mapped() -> None:
    # Plain UTS-46 lower-cases İ to "i" + U+0307, a different name than the one meant.
    assert idna.encode("İSTANBUL.COM", uts46=True, transitional=False) == b"xn--istanbul-o0e.com"
    assert idna.encode("ŞİRKET.com.tr", uts46=True, transitional=False) == b"xn--irket-idb380a.com.tr"
    assert parse("İSTANBUL.COM").domain == "istanbul.com"
    assert parse("ŞİRKET.com.tr").domain == parse("şirket.com.tr").domain


def test_consumer_domain_list_is_loaded_from_the_rules_file() -> None:
    domains = target.consumer_domains()
    assert {"gmail.com", "hotmail.com.tr", "yandex.com.tr", "gmx.*"} <= domains
    assert all(entry == entry.strip().lower() and "#" not in entry for entry in domains)
    assert target.is_consumer_domain("gmx.com.tr") and not target.is_consumer_domain("firma.com.tr")


# --- properties -----------------------------------------------------------------------------

LABEL = st.text(alphabet="abcçdefgğhıijklmnoöprsştuüvyz0123456789-İIŞĞÜÖÇ", min_size=1, max_size=20)
DOMAINISH = st.builds(lambda labels, tld: ".".join([*labels, tld]),
                      st.lists(LABEL, min_size=1, max_size=3),
                      st.sampled_from(["com", "com.tr", "net", "org.tr", "de", "io", "xyz"]))
DECORATED = st.builds(lambda prefix, name, suffix: f"{prefix}{name}{suffix}",
                      st.sampled_from(["", "www.", "https://", "http://www.", "ali@", "mailto:x@", " "]),
                      DOMAINISH,
                      st.sampled_from(["", "/", "/a?b=c", ":8080", ".", " ", "#top"]))


def _check(text: str) -> None:
    result = parse(text)
    assert result.input == text
    if result.status == "invalid":
        assert result.domain is None and result.reason
        return
    assert result.domain is not None and result.registrable_domain is not None
    assert result.domain.isascii() and result.domain == result.domain.lower()
    assert result.domain == result.registrable_domain or result.domain.endswith(
        "." + result.registrable_domain)
    again = parse(result.domain)
    assert (again.status, again.domain, again.registrable_domain) == (
        "ok", result.domain, result.registrable_domain)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
def test_parse_never_raises_on_arbitrary_text(text: str) -> None:
    _check(text)


@settings(max_examples=500, suppress_health_check=[HealthCheck.too_slow])
@given(DECORATED)
def test_ok_domains_round_trip(text: str) -> None:
    _check(text)
