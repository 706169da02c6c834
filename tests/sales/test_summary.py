"""The sales summary: every status, provider kind, gateway and posture, in Turkish and English."""

from __future__ import annotations

import itertools
import json
import re
import string
from pathlib import Path

import pytest
import yaml

from hunter.errors import RulesError
from hunter.model import (
    M365, Analysis, Dkim, Dmarc, Gateway, Google, MailSecurity, MxHost, Provider, Spf, TenantSize,
)
from hunter.sales import SalesConfig, SalesSummary, load_config, summarise
from hunter.sales import config as sales_config
from hunter.sales import english, texts, turkish
from hunter.scoring import rules as scoring_rules
from hunter.scoring.score import ScoringInput, score

RULES = scoring_rules.load()
DEFAULT = load_config()
LANGS = ("tr", "en")
TURKISH_LETTERS = set("şğıİçöüŞĞÇÖÜ")
TENANT = "contoso.onmicrosoft.com"
PROOFPOINT = Gateway(key="proofpoint", name="Proofpoint", evidence=["MX mx1.pphosted.com is Proofpoint (gateway)"])
HYBRID_LINE = ("Microsoft 365 evidence beside an own MX: likely hybrid Exchange "
               "(on-premises server in front of Exchange Online)")


def _provider(key: str, name: str, kind: str, *evidence: str, confidence: str = "high") -> Provider:
    return Provider(key=key, name=name, kind=kind, confidence=confidence, evidence=list(evidence))


PROVIDERS = {
    "m365": _provider("m365", "Microsoft 365", "cloud_suite", "MX ornek-com.mail.protection.outlook.com is "
                      "Microsoft 365", "SPF includes spf.protection.outlook.com (Microsoft 365)",
                      f"Microsoft 365 tenant {TENANT}"),
    "google": _provider("google", "Google Workspace", "cloud_suite", "MX aspmx.l.google.com is Google Workspace"),
    "yandex": _provider("yandex", "Yandex 360", "cloud_suite", "MX mx.yandex.net is Yandex 360"),
    "zoho": _provider("zoho", "Zoho Mail", "cloud_suite", "MX mx.zoho.eu is Zoho Mail"),
    "proton": _provider("proton", "Proton Mail", "cloud_suite", "MX mail.protonmail.ch is Proton Mail"),
    "natro": _provider("natro", "Natro", "local_hosting", "MX mx.natro.com is Natro",
                       "SPF includes spf.natro.com (Natro)"),
    "godaddy": _provider("godaddy", "GoDaddy", "hosting", "MX mx.secureserver.net is GoDaddy"),
    "self_hosted": _provider("self_hosted", "Own mail server", "self_hosted",
                             "MX mail.ornek.com.tr is under the company's own domain ornek.com.tr",
                             confidence="medium"),
    "hybrid": _provider("self_hosted", "Own mail server", "self_hosted",
                        "MX mail.ornek.com.tr is under the company's own domain ornek.com.tr", HYBRID_LINE,
                        confidence="medium"),
    "unknown": _provider("unknown", "Unknown", "unknown", "MX mx.relay.example is not in the catalogue",
                         confidence="low"),
    "none": _provider("none", "No mail", "none", "No MX and no A/AAAA record", confidence="high"),
}
POSTURES = {
    "weak": {},
    "p_none": dict(spf=Spf(present=True, valid=True, all="~all", record="v=spf1 mx ~all"),
                   dmarc=Dmarc(present=True, valid=True, policy="none", coverage=100, source="domain"),
                   dkim=Dkim()),
    "partial": dict(spf=Spf(present=True, valid=True, all="-all"),
                    dmarc=Dmarc(present=True, valid=True, policy="quarantine", coverage=30, source="organizational"),
                    dkim=Dkim(present=True, selectors=["selector1"])),
    "strong": dict(spf=Spf(present=True, valid=True, all="-all"),
                   dmarc=Dmarc(present=True, valid=True, policy="reject", coverage=100, source="domain"),
                   dkim=Dkim(present=True, selectors=["selector1", "selector2"]),
                   mail_security=MailSecurity(mta_sts=True, tls_rpt=True)),
}


def make(provider: str = "natro", *, status: str = "ok", gateway: Gateway | None = None,
         posture: str = "weak", size: str = "medium", **extra: object) -> Analysis:
    """An analysis scored by the real scoring model."""
    found = PROVIDERS[provider]
    parts = dict(spf=Spf(), dmarc=Dmarc(), dkim=Dkim(), mail_security=MailSecurity()) | POSTURES[posture]
    local = found.name if found.kind == "local_hosting" else None
    verdict = score(ScoringInput(status=status, provider=found, gateway=gateway, local_provider=local,
                                 spf=parts["spf"], dmarc=parts["dmarc"], dkim=parts["dkim"],
                                 tenant_size=TenantSize(value=size)), RULES)
    m365 = M365(detected=True, tenant=TENANT, signals=["MX"]) if provider == "m365" else M365(
        detected=provider == "hybrid", signals=["autodiscover"] if provider == "hybrid" else [])
    fields = dict(
        domain="ornek.com.tr", input="ornek.com.tr", status=status, provider=found, local_provider=local,
        gateway=gateway, mx=[MxHost(host="mx1.ornek-mail.net", preference=10)] if status == "ok" else [],
        m365=m365, google=Google(detected=provider == "google"), tenant_size=TenantSize(value=size),
        score=verdict.score, segment=verdict.segment, priority=verdict.priority,
        priority_label=verdict.priority_label, reasons=list(verdict.reasons), **parts,
    )
    return Analysis(**(fields | extra))


def invalid(text: str = "0532 123 45 67", reason: str = "looks like a phone number, not a domain") -> Analysis:
    return Analysis(domain=None, input=text, status="invalid", reason=reason, provider=PROVIDERS["unknown"])


def dns_failure() -> Analysis:
    return make("unknown", status="dns_error", reason="MX lookup failed after retries and fallback: SERVFAIL")


OK_CASES = [make(p, gateway=g, posture=s, size=z)
            for p, g, s, z in itertools.product(PROVIDERS, (None, PROOFPOINT), POSTURES, ("unknown", "small", "large"))
            if p != "none"]
OTHER_CASES = [make("none", status=s) for s in ("no_mx", "null_mx", "nxdomain")] + [
    make("none"), make("none", status="no_mx", mx_fallback_a=True), dns_failure(), invalid(),
    invalid("gmail.com", "consumer mail domain gmail.com: an address there does not name a company"),
    invalid("acme", "no dot: a single label is not a domain"), invalid("x!y.com", "odd thing"),
    Analysis(domain="a.com.tr", input="a.com.tr", status="ok", provider=PROVIDERS["godaddy"]),
]
CASES = OK_CASES + OTHER_CASES


def every_text(summary: SalesSummary) -> str:
    offers = [f"{o.name} {o.price_text} {o.unit or ''}" for o in summary.offers]
    parts = [summary.one_liner, summary.provider, summary.next_step, summary.priority_label or "",
             *summary.why, *summary.posture, *summary.call_script, *summary.discovery_questions, *offers]
    return "\n".join(parts)


def run(analysis: Analysis, lang: str, config: SalesConfig = DEFAULT) -> SalesSummary:
    return summarise(analysis, lang=lang, config=config)


# ----------------------------------------------------------------------------- shape

@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("analysis", CASES, ids=lambda a: f"{a.status}-{a.provider.key}-{a.priority}")
def test_every_case_gives_a_full_summary(analysis: Analysis, lang: str) -> None:
    summary = run(analysis, lang)
    assert summary.lang == lang and summary.one_liner and summary.provider and summary.next_step
    assert summary.why and summary.posture and all(summary.why + summary.posture)
    assert 3 <= len(summary.call_script) <= 5 and all(summary.call_script)
    assert 3 <= len(summary.discovery_questions) <= 6 and all(summary.discovery_questions)
    assert "None" not in every_text(summary) and "{" not in every_text(summary)
    assert SalesSummary.model_validate_json(summary.model_dump_json()) == summary


@pytest.mark.parametrize("lang", LANGS)
def test_reasons_appear_with_their_points(lang: str) -> None:
    analysis = make("natro", posture="p_none")
    summary = run(analysis, lang)
    assert len(summary.why) == len(analysis.reasons) + 2
    for reason, line in zip(analysis.reasons, summary.why[1:]):
        assert f"{reason.points:+d}" in line
    assert str(analysis.score) in summary.why[-1]


# ----------------------------------------------------------------------------- no invented figures

def numbers(text: str) -> list[str]:
    return re.findall(r"\d+(?:[.,]\d+)?", text)


def allowed(*sources: str) -> tuple[set[float], set[str]]:
    tokens = [t for s in sources for t in numbers(s)]
    return {float(t.replace(",", ".")) for t in tokens}, set(re.findall(r"\d+", " ".join(sources)))


PRICED = SalesConfig.model_validate({
    "partner": {"name": "Bulut Partner A.Ş.", "phone": "+90 212 555 01 02", "email": "satis@partner.com.tr"},
    "currency": "TRY",
    "offers": [
        {"key": "basic", "name_tr": "Microsoft 365 Business Basic", "name_en": "Microsoft 365 Business Basic",
         "price": 187.5, "unit_tr": "kullanıcı/ay", "unit_en": "user/month", "fits": {"segments": ["greenfield"]}},
        {"key": "dmarc", "name_tr": "DMARC projesi", "name_en": "DMARC project", "price": 12000,
         "fits": {"gaps": ["dmarc_missing", "dmarc_not_enforced"]}},
        {"key": "defender", "name_tr": "Defender P1", "name_en": "Defender P1", "price": 2.15,
         "unit_tr": "kullanıcı/ay", "unit_en": "user/month", "fits": {"segments": ["microsoft"]}},
    ],
})


@pytest.mark.parametrize("config", [DEFAULT, PRICED], ids=["default", "priced"])
@pytest.mark.parametrize("lang", LANGS)
def test_every_number_comes_from_the_analysis_or_the_config(lang: str, config: SalesConfig) -> None:
    for analysis in CASES:
        text = every_text(run(analysis, lang, config))
        for name in texts.PRODUCT_NAMES:
            text = text.replace(name, "")
        values, runs = allowed(analysis.model_dump_json(), config.model_dump_json())
        for token in numbers(text):
            assert float(token.replace(",", ".")) in values or set(re.findall(r"\d+", token)) <= runs, (
                f"{token!r} in {analysis.input} ({lang}) is not in the analysis or config")


# ----------------------------------------------------------------------------- languages

def fragments(table: dict[str, str | tuple[str, ...]]) -> set[str]:
    found = set()
    for value in table.values():
        for template in (value,) if isinstance(value, str) else value:
            found |= {f.strip() for f in re.split(r"\{[a-z_]+\}", template) if len(f.strip()) >= 8}
    return found


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    assert turkish.TEXTS.keys() == english.TEXTS.keys()
    for key, tr_value in turkish.TEXTS.items():
        en_value = english.TEXTS[key]
        assert type(tr_value) is type(en_value), key
        names = [{f for _, f, _, _ in string.Formatter().parse(v) if f}
                 for v in ((tr_value, en_value) if isinstance(tr_value, str) else (" ".join(tr_value), " ".join(en_value)))]
        assert names[0] == names[1], key


def test_labels_match_the_scoring_rules() -> None:
    for lang in LANGS:
        for code, label in RULES.priorities.items():
            assert texts.phrase(lang, f"priority.{code}") == getattr(label, lang)
        for code, label in RULES.segments.items():
            assert texts.phrase(lang, f"segment.{code}") == getattr(label, lang)


@pytest.mark.parametrize("analysis", CASES, ids=lambda a: f"{a.status}-{a.provider.key}-{a.priority}")
def test_no_template_of_one_language_leaks_into_the_other(analysis: Analysis) -> None:
    tr_text, en_text = every_text(run(analysis, "tr")), every_text(run(analysis, "en"))
    shared = fragments(turkish.TEXTS) & fragments(english.TEXTS)
    assert not [f for f in fragments(english.TEXTS) - shared if f in tr_text]
    assert not [f for f in fragments(turkish.TEXTS) - shared if f in en_text]
    assert TURKISH_LETTERS & set(tr_text)
    assert not TURKISH_LETTERS & set(en_text)
    if analysis.status != "invalid":
        assert not re.search(r"\b(the|and|your|with|is|are|was|from)\b", tr_text, re.IGNORECASE)
        assert not re.search(r"\b(ve|bir|için|değil|alan adı)\b", en_text)


def test_turkish_uses_the_polite_form() -> None:
    script = run(make("natro"), "tr").call_script
    assert any("sizin" in line or "nız" in line or "niz" in line for line in script)
    assert not re.search(r"\b(sen|senin|sana)\b", " ".join(script))


# ----------------------------------------------------------------------------- angles

@pytest.mark.parametrize("provider", ["google", "yandex", "zoho"])
def test_p2_names_the_competitor_and_the_migration(provider: str) -> None:
    analysis = make(provider)
    assert analysis.priority == "P2"
    name = analysis.provider.name
    tr, en = run(analysis, "tr"), run(analysis, "en")
    assert name in tr.one_liner and "geçiş" in tr.one_liner and name in " ".join(tr.call_script)
    assert name in en.one_liner and "migration" in en.one_liner and name in en.next_step
    assert {"migration_service", "m365_business_basic"} <= {o.key for o in tr.offers}


def test_p1_local_hosting_names_the_firm() -> None:
    analysis = make("natro")
    assert analysis.priority == "P1"
    for lang in LANGS:
        summary = run(analysis, lang)
        assert "Natro" in summary.one_liner and "Natro" in summary.provider
        assert "Natro" in " ".join(summary.call_script) and "Natro" in " ".join(summary.discovery_questions)
        assert "exchange_online_plan1" in {o.key for o in summary.offers}


def test_p3_is_a_security_upsell_with_the_tenant() -> None:
    analysis = make("m365", posture="p_none")
    assert analysis.priority == "P3"
    for lang in LANGS:
        summary = run(analysis, lang)
        assert TENANT in summary.one_liner and TENANT in summary.provider
        assert "Defender" in summary.one_liner and "Defender" in " ".join(summary.posture)
        assert "p=none" in " ".join(summary.call_script)
        keys = {o.key for o in summary.offers}
        assert {"defender_office365_plan1", "email_security_project"} <= keys
        assert "migration_service" not in keys and "m365_business_basic" not in keys


def test_p4_is_renewal_and_upsell() -> None:
    analysis = make("m365", posture="strong")
    assert analysis.priority == "P4"
    for lang in LANGS:
        summary = run(analysis, lang)
        for word in ("Copilot", "E3/E5", "Defender"):
            assert word in summary.one_liner and word in summary.next_step
        keys = {o.key for o in summary.offers}
        assert {"m365_copilot", "defender_office365_plan1"} <= keys and "email_security_project" not in keys


@pytest.mark.parametrize("provider", ["google", "self_hosted"])
def test_p5_is_nurture_without_a_hard_sell(provider: str) -> None:
    analysis = make(provider, posture="strong", size="unknown")
    assert analysis.priority == "P5"
    tr, en = run(analysis, "tr"), run(analysis, "en")
    assert "takipte" in tr.one_liner and "nurture" in en.one_liner and "rescan" in en.next_step
    assert "coming months" in en.call_script[-1]


def test_unscored_analysis_asks_for_a_rescan() -> None:
    analysis = Analysis(domain="a.com.tr", input="a.com.tr", status="ok", provider=PROVIDERS["godaddy"])
    summary = run(analysis, "en")
    assert summary.one_liner.startswith("a.com.tr: Mail is hosted on GoDaddy") and summary.offers == []
    assert summary.why == ["This analysis has not been scored yet."]


def test_hybrid_exchange_is_named() -> None:
    analysis = make("hybrid")
    assert "hibrit Exchange" in run(analysis, "tr").provider
    assert "hybrid Exchange" in run(analysis, "en").provider
    assert "Exchange Online" in " ".join(run(analysis, "en").call_script)
    assert "hybrid" not in run(make("self_hosted"), "en").provider


@pytest.mark.parametrize("provider", ["natro", "m365", "unknown"])
def test_gateway_is_named_with_what_is_behind_it(provider: str) -> None:
    analysis = make(provider, gateway=PROOFPOINT)
    tr, en = run(analysis, "tr"), run(analysis, "en")
    assert "Proofpoint" in tr.provider and "Proofpoint" in en.provider
    assert "Proofpoint" in " ".join(en.discovery_questions)
    behind = "could not be identified" in en.provider
    assert behind == (provider == "unknown")
    assert "Proofpoint" not in run(make(provider), "en").provider


def test_dns_error_is_never_a_no_go() -> None:
    for lang in LANGS:
        summary = run(dns_failure(), lang)
        text = every_text(summary)
        assert summary.priority is None and summary.offers == []
        assert "No-go" not in text and "Uygun değil" not in text
    assert "rescan" in run(dns_failure(), "en").one_liner
    assert "yeniden tarayın" in run(dns_failure(), "tr").one_liner


def test_nxdomain_and_no_mail_send_you_to_the_real_domain() -> None:
    assert "real domain" in run(make("none", status="nxdomain"), "en").one_liner
    assert "asıl alan adını" in run(make("none", status="nxdomain"), "tr").one_liner
    assert "null MX" in run(make("none", status="null_mx"), "en").provider
    assert "web server" in run(make("none", status="no_mx", mx_fallback_a=True), "en").provider
    assert run(make("none", status="no_mx"), "tr").offers == []


def test_invalid_input_says_what_and_why() -> None:
    tr, en = run(invalid(), "tr"), run(invalid(), "en")
    assert "0532 123 45 67" in tr.one_liner and "telefon numarası" in tr.one_liner
    assert "phone number" in en.one_liner
    assert tr.offers == [] and tr.priority_label is None
    assert "odd thing" in run(invalid("x!y.com", "odd thing"), "tr").one_liner


def test_infrastructure_summary_is_passed_through() -> None:
    line = "Web: Cloudflare; mail: Natro"
    assert run(make("natro", infrastructure_summary=line), "tr").infrastructure == line
    assert run(make("natro"), "en").infrastructure is None


# ----------------------------------------------------------------------------- offers and prices

def test_offers_are_filtered_by_segment_gap_and_kind() -> None:
    config = SalesConfig.model_validate({"partner": {"name": "P"}, "offers": [
        {"key": "gf", "name_tr": "a", "name_en": "a", "fits": {"segments": ["greenfield"]}},
        {"key": "gap", "name_tr": "b", "name_en": "b", "fits": {"gaps": ["dmarc_not_enforced"]}},
        {"key": "kind", "name_tr": "c", "name_en": "c", "fits": {"provider_kinds": ["hosting"]}},
        {"key": "both", "name_tr": "d", "name_en": "d",
         "fits": {"segments": ["microsoft"], "gaps": ["dkim_missing"]}},
    ]})
    keys = lambda a: [o.key for o in run(a, "en", config).offers]  # noqa: E731
    assert keys(make("natro")) == ["gf"]
    assert keys(make("natro", posture="p_none")) == ["gf", "gap"]
    assert keys(make("godaddy")) == ["gf", "kind"]
    assert keys(make("m365", posture="p_none")) == ["gap", "both"]
    assert keys(make("m365", posture="strong")) == []
    assert keys(make("none", status="nxdomain")) == [] and keys(invalid()) == []


@pytest.mark.parametrize("lang, text", [("tr", "fiyat için iletişime geçin"), ("en", "price on request")])
def test_missing_prices_are_on_request(lang: str, text: str) -> None:
    offers = run(make("natro"), lang).offers
    assert offers and all(o.price is None and o.price_text == text for o in offers)


def test_configured_prices_are_shown_with_currency_and_unit() -> None:
    tr = {o.key: o.price_text for o in run(make("natro"), "tr", PRICED).offers}
    en = {o.key: o.price_text for o in run(make("m365"), "en", PRICED).offers}
    assert tr == {"basic": "187,50 TRY (kullanıcı/ay)", "dmarc": "12000 TRY"}
    assert en == {"dmarc": "12000 TRY", "defender": "2.15 TRY (user/month)"}
    assert "Bulut Partner A.Ş." in run(make("natro"), "tr", PRICED).call_script[0]


def test_the_bundled_config_is_a_neutral_placeholder_without_prices() -> None:
    assert DEFAULT.partner.name == "Your Partner Name" and DEFAULT.partner.display("tr") == "İş Ortağınız"
    assert all(o.price is None for o in DEFAULT.offers)
    assert load_config() is DEFAULT and load_config(sales_config.BUNDLED) is DEFAULT
    assert "İş Ortağınız" in run(make("natro"), "tr").call_script[0]


# ----------------------------------------------------------------------------- config errors

def _bundled() -> dict:
    return yaml.safe_load(sales_config.BUNDLED.read_text(encoding="utf-8"))


def _with(mutate) -> dict:
    data = _bundled()
    mutate(data)
    return data


@pytest.mark.parametrize("data, message", [
    (_with(lambda d: d["offers"][0]["fits"].update(gaps=["dmarc_sad"])), "unknown gap code dmarc_sad"),
    (_with(lambda d: d["offers"][0]["fits"].update(segments=["enterprise"])), "unknown segment enterprise"),
    (_with(lambda d: d["offers"][0]["fits"].update(provider_kinds=["cloud"])), "unknown provider kind cloud"),
    (_with(lambda d: d["offers"][0].update(price=-5)), "offers.0.price"),
    (_with(lambda d: d["partner"].pop("name")), "partner.name"),
    (_with(lambda d: d["partner"].update(name="")), "partner.name"),
    (_with(lambda d: d["offers"][1].update(key=d["offers"][0]["key"])), "unique"),
    (_with(lambda d: d["offers"][0].update(fits={})), "at least one"),
    (_with(lambda d: d.update(currency="dollars")), "currency"),
    (_with(lambda d: d.update(colour="blue")), "colour"),
    (["a", "list"], "top level"),
])
def test_bad_config_names_the_file_and_the_problem(tmp_path: Path, data: object, message: str) -> None:
    path = tmp_path / "my-sales.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_config(path)
    assert "my-sales.yaml" in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize("content", ["partner: [unclosed", None])
def test_unreadable_config_names_the_file(tmp_path: Path, content: str | None) -> None:
    path = tmp_path / "broken.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(RulesError, match="broken.yaml.*cannot read"):
        load_config(path)


def test_a_valid_custom_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    data = _with(lambda d: d["offers"][0].update(price=6))
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    config = load_config(str(path))
    assert config.offers[0].price == 6 and json.loads(config.model_dump_json())["currency"] == "USD"


# ----------------------------------------------------------------------------- real analyses

DEMO_INPUTS = (
    "anadolutekstil.com.tr", "egelojistik.com.tr", "karadenizfindik.com.tr", "bogazicimimarlik.com",
    "cukurovatarim.com.tr", "marmaraotomotiv.com.tr", "izmirgıda.com.tr", "kapadokyaturizm.com",
    "trakyaenerji.com.tr", "torosyapi.com.tr", "akdenizmedikal.com.tr", "başkentholding.com.tr",
    "egeornek.com.tr", "sessizbilisim.com.tr", "vanmermer.com.tr", "kayipkargo.com.tr",
    "ahmet.yilmaz@gmail.com", "+90 212 555 12 12", "-", "m365-tenant.test",
)


async def test_summaries_of_the_sandbox_demo_hold_their_promises(world_settings) -> None:
    from hunter.pipeline import analyze
    from hunter.wiring import build_context

    ctx = build_context(world_settings)
    try:
        analyses = [await analyze(text, ctx) for text in DEMO_INPUTS]
    finally:
        await ctx.resolver.aclose()
    shared = fragments(turkish.TEXTS) & fragments(english.TEXTS)
    for analysis in analyses:
        tr, en = run(analysis, "tr"), run(analysis, "en")
        values, runs = allowed(analysis.model_dump_json(), DEFAULT.model_dump_json())
        for summary in (tr, en):
            text = every_text(summary)
            for name in texts.PRODUCT_NAMES:
                text = text.replace(name, "")
            assert all(float(t.replace(",", ".")) in values or set(re.findall(r"\d+", t)) <= runs
                       for t in numbers(text)), (analysis.input, summary.lang)
            assert 3 <= len(summary.call_script) <= 5
        assert not [f for f in fragments(english.TEXTS) - shared if f in every_text(tr)]
        if analysis.provider.kind == "local_hosting":
            assert analysis.provider.name in tr.one_liner
        if analysis.m365.tenant:
            assert analysis.m365.tenant in en.provider
    assert {a.status for a in analyses} >= {"ok", "invalid", "dns_error"}
    holding = next(a for a in analyses if a.input == "başkentholding.com.tr")
    assert run(holding, "tr").one_liner.startswith("başkentholding.com.tr: P4")    # hybrid: never greenfield
    assert "hybrid Exchange" in run(holding, "en").provider
