"""``hunter.analysis.spf``: parse, macros, check_host and the walk() audit, with values only.

The full RFC 7208 / RFC 4408 conformance suites are in ``test_spf_suite.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from ipaddress import ip_network

import pytest

from hunter import model
from hunter.analysis import spf
from hunter.analysis.spf import macro
from hunter.analysis.spf.names import address
from hunter.analysis.spf.session import Session
from hunter.dns.facts import Answer, Query, answer_from_dict, drive

# -- parse ------------------------------------------------------------------------------------


def test_parse_terms() -> None:
    record = spf.parse("V=SPF1  ip4:192.0.2.0/24 -IP6:2001:DB8::/32 ~a:mail.%{d}/24//64 "
                       "?mx ptr exists:%{i}.bl.example.net include:_spf.example.com "
                       "exp=why.example.com foo=bar -all ")
    kinds = [(m.qualifier, m.kind) for m in record.mechanisms]
    assert kinds == [("+", "ip4"), ("-", "ip6"), ("~", "a"), ("?", "mx"), ("+", "ptr"),
                     ("+", "exists"), ("+", "include"), ("-", "all")]
    assert record.mechanisms[0].network == ip_network("192.0.2.0/24")
    assert (record.mechanisms[2].domain_spec, record.mechanisms[2].cidr4,
            record.mechanisms[2].cidr6) == ("mail.%{d}", 24, 64)
    assert record.exp == "why.example.com" and record.redirect is None
    assert record.modifiers == (spf.Modifier("foo", "bar"),)
    assert record.all is not None and record.all.result == "fail"
    assert record.lookup_terms == 5


def test_parse_empty_record_and_redirect() -> None:
    assert spf.parse("v=spf1").mechanisms == ()
    record = spf.parse("v=spf1 redirect=_spf.example.com")
    assert record.redirect == "_spf.example.com" and record.uses_redirect
    assert record.lookup_terms == 1


@pytest.mark.parametrize(("text", "term"), [
    ("v=spf1 ip4:1.2.3 -all", "ip4:1.2.3"),
    ("v=spf1 ip4:1.2.3.4/33", "ip4:1.2.3.4/33"),
    ("v=spf1 ip4:1.2.3.4/032", "ip4:1.2.3.4/032"),
    ("v=spf1 ip6::CAFE::BABE", "ip6::CAFE::BABE"),
    ("v=spf1 a//129", "a//129"),
    ("v=spf1 a:museum", "a:museum"),
    ("v=spf1 a:111.222.33.44", "a:111.222.33.44"),
    ("v=spf1 include: -all", "include:"),
    ("v=spf1 -all.", "-all."),
    ("v=spf1 ptr/0", "ptr/0"),
    ("v=spf1 exists:%(ir).bl.example.com", "exists:%(ir).bl.example.com"),
    ("v=spf1 exp=%{r}.example.com", "exp=%{r}.example.com"),
    ("v=spf1 a:%{d0}.example.com", "a:%{d0}.example.com"),
    ("v=spf1 1up=foo", "1up=foo"),
    ("v=spf1 redirect:example.com", "redirect:example.com"),
    ("v=spf1 exp=a.example.com exp=b.example.com", "exp=b.example.com"),
    ("v=spf1 a:ctrl.example.com\rptr", "a:ctrl.example.com\rptr"),
])
def test_parse_errors_name_the_term(text: str, term: str) -> None:
    with pytest.raises(spf.SpfSyntaxError) as raised:
        spf.parse(text)
    assert repr(term) in str(raised.value)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("text", ["v=spf10", "v=spf1mx", "spf2.0/pra", ""])
def test_not_spf(text: str) -> None:
    assert not spf.is_spf(text)
    with pytest.raises(spf.SpfSyntaxError):
        spf.parse(text)


# -- macros (RFC 7208 §7.4 examples) ----------------------------------------------------------

@pytest.mark.parametrize(("spec", "expanded"), [
    ("%{s}", "strong-bad@email.example.com"), ("%{o}", "email.example.com"),
    ("%{d4}", "email.example.com"), ("%{d2}", "example.com"), ("%{d1}", "com"),
    ("%{dr}", "com.example.email"), ("%{d2r}", "example.email"), ("%{l-}", "strong.bad"),
    ("%{lr-}", "bad.strong"), ("%{l1r-}", "strong"),
    ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
    ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
    ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
    ("%%%_%-", "% %20"), ("%{L}", "strong-bad"),
])
def test_macro_examples(spec: str, expanded: str) -> None:
    session = Session(address("192.0.2.3"), "strong-bad", "email.example.com", "mx.example.org")
    assert macro.expand(spec, session.values("email.example.com")) == expanded


def test_macro_ipv6_and_escaping() -> None:
    session = Session(address("2001:db8::cb01"), "~a&b=c", "email.example.com", "unknown")
    values = session.values("email.example.com")
    assert macro.expand("%{ir}.%{v}._spf.%{d2}", values).lower() == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")
    assert macro.expand("%{L}", values) == "~a%26b%3Dc"
    assert macro.expand("%{c}", values, explanation=True) == "2001:db8::cb01"


# -- check_host -------------------------------------------------------------------------------

ZONE = {
    ("example.com", "TXT"): ["v=spf1 ip4:192.0.2.0/24 include:_spf.example.net mx -all",
                             "google-site-verification=abc"],
    ("_spf.example.net", "TXT"): ["v=spf1 ip6:2001:db8::/32 ~all"],
    ("example.com", "MX"): ["10 mx.example.com."],
    ("mx.example.com", "A"): ["198.51.100.7"],
}


@pytest.mark.parametrize(("ip", "result", "mechanism"), [
    ("192.0.2.10", "pass", "ip4:192.0.2.0/24"),
    ("::ffff:192.0.2.10", "pass", "ip4:192.0.2.0/24"),
    ("2001:db8::1", "pass", "include:_spf.example.net"),
    ("198.51.100.7", "pass", "mx"),
    ("203.0.113.1", "fail", "-all"),
])
def test_check_host(ip: str, result: str, mechanism: str) -> None:
    outcome = drive(spf.check_host(ip, "example.com", "a@example.com"), answer_from_dict(ZONE))
    assert (outcome.result, outcome.mechanism) == (result, mechanism)


def test_check_host_queries_are_normalised_and_dns_error_is_temperror() -> None:
    asked: list[Query] = []

    def answer_for(query: Query) -> Answer:
        asked.append(query)
        return Answer(query, "error", errors=("127.0.0.1:53 udp: timeout",))

    outcome = drive(spf.check_host("192.0.2.1", "Example.COM.", "a@Example.COM"), answer_for)
    assert outcome.result == "temperror" and "TXT example.com" in (outcome.error or "")
    assert asked == [Query("example.com", "TXT")]


def test_check_host_limits() -> None:
    zone = {("example.com", "TXT"): ["v=spf1 " + " ".join(f"a:h{n}.example.com" for n in range(3))]}
    outcome = drive(spf.check_host("192.0.2.1", "example.com", ""), answer_from_dict(zone))
    assert (outcome.result, outcome.void_lookups) == ("permerror", 3)
    zone = {("example.com", "TXT"): ["v=spf1 " + "a " * 11], ("example.com", "A"): ["192.0.2.9"]}
    outcome = drive(spf.check_host("192.0.2.1", "example.com", ""), answer_from_dict(zone))
    assert (outcome.result, outcome.lookups) == ("permerror", 11)


def test_check_host_explanation_only_on_fail() -> None:
    zone = {("example.com", "TXT"): ["v=spf1 -ip4:192.0.2.1 +all exp=why.%{d}"],
            ("why.example.com", "TXT"): ["%{i} may not send for %{d}"]}
    answers = answer_from_dict(zone)
    failed = drive(spf.check_host("192.0.2.1", "example.com", "x@example.com"), answers)
    assert failed.explanation == "192.0.2.1 may not send for example.com"
    passed = drive(spf.check_host("192.0.2.2", "example.com", "x@example.com"), answers)
    assert passed.result == "pass" and passed.explanation is None


# -- walk -------------------------------------------------------------------------------------

def audit(zone: Mapping[tuple[str, str], object], domain: str = "example.com") -> model.Spf:
    return drive(spf.walk(domain), answer_from_dict(zone))


def test_walk_counts_nested_includes() -> None:
    result = audit({
        ("example.com", "TXT"): ["v=spf1 mx include:spf.protection.outlook.com "
                                 "include:_spf.example.net -all"],
        ("example.com", "MX"): ["0 example-com.mail.protection.outlook.com."],
        ("spf.protection.outlook.com", "TXT"): ["v=spf1 ip4:40.92.0.0/15 -all"],
        ("_spf.example.net", "TXT"): ["v=spf1 include:_a.example.net include:_b.example.net ~all"],
        ("_a.example.net", "TXT"): ["v=spf1 ip4:192.0.2.0/24 ~all"],
        ("_b.example.net", "TXT"): ["v=spf1 a:out.example.net ~all"],
        ("out.example.net", "A"): ["192.0.2.9"],
    })
    assert result == model.Spf(
        present=True, valid=True,
        record="v=spf1 mx include:spf.protection.outlook.com include:_spf.example.net -all",
        all="-all", lookups=6, void_lookups=0,
        includes=["spf.protection.outlook.com", "_spf.example.net", "_a.example.net",
                  "_b.example.net"])


def test_walk_loop() -> None:
    result = audit({
        ("example.com", "TXT"): ["v=spf1 include:a.example.net -all"],
        ("a.example.net", "TXT"): ["v=spf1 include:b.example.net"],
        ("b.example.net", "TXT"): ["v=spf1 include:example.com"],
    })
    assert not result.valid and result.present
    assert result.error == "loop: example.com -> a.example.net -> b.example.net -> example.com"
    assert result.includes == ["a.example.net", "b.example.net", "example.com"]


def test_walk_same_include_in_two_branches_is_not_a_loop() -> None:
    result = audit({
        ("example.com", "TXT"): ["v=spf1 include:a.example.net include:b.example.net -all"],
        ("a.example.net", "TXT"): ["v=spf1 include:c.example.net"],
        ("b.example.net", "TXT"): ["v=spf1 include:c.example.net"],
        ("c.example.net", "TXT"): ["v=spf1 ip4:192.0.2.1"],
    })
    assert result.valid and result.lookups == 4
    assert result.includes == ["a.example.net", "c.example.net", "b.example.net"]


def test_walk_too_many_lookups() -> None:
    zone: dict[tuple[str, str], object] = {
        ("example.com", "TXT"): ["v=spf1 " + " ".join(f"include:s{n}.example.net" for n in range(11))
                                 + " -all"]}
    zone.update({(f"s{n}.example.net", "TXT"): ["v=spf1 ip4:192.0.2.1"] for n in range(11)})
    result = audit(zone)
    assert (result.present, result.valid, result.lookups) == (True, False, 11)
    assert result.error == "too many DNS lookups: 11 (limit 10)"
    assert len(result.includes) == 11 and result.all == "-all"


def test_walk_several_records() -> None:
    result = audit({("example.com", "TXT"): ["v=spf1 -all", "V=SPF1 +all", "other"]})
    assert (result.present, result.valid) == (True, False)
    assert result.error is not None and result.error.startswith("several SPF records")


def test_walk_syntax_error() -> None:
    result = audit({("example.com", "TXT"): ["v=spf1 ip4:192.0.2.300 -all"]})
    assert (result.present, result.valid, result.record) == (True, False, "v=spf1 ip4:192.0.2.300 -all")
    assert "ip4:192.0.2.300" in (result.error or "")


def test_walk_void_lookups() -> None:
    result = audit({
        ("example.com", "TXT"): ["v=spf1 a:gone1.example.com mx:gone2.example.com "
                                 "include:gone3.example.com a:v6.example.com -all"],
        ("v6.example.com", "AAAA"): ["2001:db8::1"],
    })
    assert (result.void_lookups, result.lookups, result.valid) == (3, 4, False)
    assert result.error == ("include:gone3.example.com: no SPF record; "
                            "too many void lookups: 3 (limit 2)")


def test_walk_redirect_gives_all() -> None:
    result = audit({
        ("example.com", "TXT"): ["v=spf1 redirect=_spf.example.com"],
        ("_spf.example.com", "TXT"): ["v=spf1 include:_spf.google.com ~all"],
        ("_spf.google.com", "TXT"): ["v=spf1 ip4:192.0.2.0/24 ~all"],
    })
    assert (result.valid, result.all, result.lookups) == (True, "~all", 2)
    assert result.includes == ["_spf.example.com", "_spf.google.com"]


def test_walk_redirect_ignored_with_all() -> None:
    result = audit({("example.com", "TXT"): ["v=spf1 ?all redirect=_spf.example.com"]})
    assert (result.valid, result.all, result.lookups, result.includes) == (True, "?all", 0, [])


def test_walk_split_txt_strings() -> None:
    # The DNS layer joins a TXT record's character-strings with "" (hunter.dns.facts).
    strings = ["v=spf1 ip4:192.0.2.0/24 include:spf.protection.outl", "ook.com -all"]
    result = audit({("example.com", "TXT"): ["".join(strings)],
                    ("spf.protection.outlook.com", "TXT"): ["v=spf1 ip4:40.92.0.0/15 -all"]})
    assert result.valid and result.includes == ["spf.protection.outlook.com"]


def test_walk_dns_error_on_top_record() -> None:
    zone = {("example.com", "TXT"): Answer(Query("example.com", "TXT"), "error",
                                           errors=("127.0.0.1:53 udp: timeout",))}
    result = audit(zone)
    assert result == model.Spf(present=False, error="dns: TXT example.com: 127.0.0.1:53 udp: timeout")


def test_walk_dns_error_in_nested_lookup() -> None:
    result = audit({("example.com", "TXT"): ["v=spf1 include:_spf.example.net -all"],
                    ("_spf.example.net", "TXT"): "error"})
    assert (result.present, result.valid, result.all) == (True, False, "-all")
    assert result.error == "dns: TXT _spf.example.net: lookup failed"


def test_walk_no_record_and_client_dependent_targets() -> None:
    assert audit({("example.com", "TXT"): ["hello"]}) == model.Spf()
    result = audit({
        ("example.com", "TXT"): ["v=spf1 exists:%{i}._spf.%{d} include:%{d}.x.example.net -all"],
        ("example.com.x.example.net", "TXT"): ["v=spf1 -all"],
    })
    assert (result.valid, result.lookups) == (True, 2)
    assert result.includes == ["example.com.x.example.net"]
