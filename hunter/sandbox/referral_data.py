"""Deterministic, realistic Turkish Partner Center referrals in the documented JSON shape (A.4/A.7).

``generate(count, seed=…)`` gives referrals as the Referrals API returns them; the same seed
gives the same referrals (dates count back from ``anchor``).  ``generate_cases`` also says, per
referral, which case it exercises and the company domain a correct client derives from the
customer's own contacts (A-label form), for tests.

The first referrals are customers from the demo lead list (``hunter/sandbox/samples/leads.csv``
and ``zones/``), so the demo shows referrals beside leads.  The cases a client must get right:

- ``company``: contacts at the company domain (``.com.tr`` or ``.com``);
- ``consumer_only``: only consumer mailboxes (gmail.com, hotmail.com, hotmail.com.tr, yandex.com,
  mynet.com, outlook.com) → no domain; ``empty_team``: no customer contact → no domain;
- ``messy``: odd case and spaces (``"  Ahmet.YILMAZ@AnadoluTekstil.COM.TR "``);
- ``subdomain``: mail sub-domains (``posta.firma.com.tr``) → the registrable domain;
- ``idn``: Unicode domains (``çağlar-yapı.com.tr``) → the A-label;
- ``mixed``: a consumer mailbox and a company one → the company's;
- ``repeat``: a customer referred again under another engagement id.

The top-level ``team`` is always the sellers (Microsoft's ``@microsoft.com`` and the partner's
``@partner.test``), never the customer.  ``reader@partner.test`` (the sandbox "Referrals User")
is on every third referral's team.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from dataclasses import dataclass
from typing import Any

import idna

__all__ = ["ANCHOR", "CASES", "CONSUMER_DOMAINS", "DEMO_DOMAINS", "Generated", "generate", "generate_cases"]

ANCHOR = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)
PARTNER_ORGANIZATION_ID = "7d23e5ca-19dc-4eaa-aac8-5e6b559f0d1d"
PARTNER_NAME = "Anatolia Cloud Bilişim A.Ş."
PARTNER_DOMAIN = "partner.test"
CONSUMER_DOMAINS = ("gmail.com", "hotmail.com", "hotmail.com.tr", "yandex.com", "mynet.com", "outlook.com")
CASES = ("company", "consumer_only", "empty_team", "messy", "subdomain", "idn", "mixed", "repeat")
SIZES = ("1to9employees", "10to50employees", "51to250employees", "251to1000employees", "1001to5000employees",
         "5001to10000employees", "10001to20000employees", "Morethan20000employees")

# (customerProfile.name, domain as people write it, city, district)
DEMO_COMPANIES = (
    ("Anadolu Tekstil San. ve Tic. A.Ş.", "anadolutekstil.com.tr", "Bursa", "Nilüfer"),
    ("Karadeniz Fındık Gıda A.Ş.", "karadenizfindik.com.tr", "Giresun", "Merkez"),
    ("Ege Lojistik Taşımacılık Ltd. Şti.", "egelojistik.com.tr", "İzmir", "Konak"),
    ("Başkent Holding A.Ş.", "başkentholding.com.tr", "Ankara", "Çankaya"),
    ("Marmara Otomotiv Yedek Parça Ltd. Şti.", "marmaraotomotiv.com.tr", "Kocaeli", "Gebze"),
    ("Toros Yapı İnşaat A.Ş.", "torosyapi.com.tr", "Mersin", "Yenişehir"),
)
DEMO_DOMAINS = tuple(idna.encode(company[1], uts46=True).decode() for company in DEMO_COMPANIES)
_IDN_COMPANIES = (
    ("Çağlar Yapı Malzemeleri A.Ş.", "çağlar-yapı.com.tr", "Konya", "Selçuklu"),
    ("Öztürk Gıda Pazarlama Ltd. Şti.", "öztürkgıda.com.tr", "Gaziantep", "Şahinbey"),
    ("Işıklar Mobilya San. ve Tic. A.Ş.", "ışıklar-mobilya.com.tr", "Kayseri", "Melikgazi"),
    ("Güneşli Enerji Üretim A.Ş.", "güneşlienerji.com.tr", "Denizli", "Pamukkale"),
    ("Şükran İnşaat Taahhüt Ltd. Şti.", "şükraninşaat.com", "Samsun", "İlkadım"),
)
_REGIONS = ("Ege", "Akdeniz", "Trakya", "Kapadokya", "Çukurova", "Fırat", "Dicle", "Uludağ", "Erciyes",
            "Kaçkar", "Ilgaz", "Sakarya", "Yeşilırmak", "Munzur", "Palandöken", "Bozdağ", "Aras", "Göksu")
_SECTORS = ("Mermer", "Plastik", "Ambalaj", "Kimya", "Makina", "Elektrik", "Yazılım", "Turizm", "Medikal",
            "Tarım", "Tekstil", "Mobilya", "Lojistik", "Gıda", "Enerji", "Danışmanlık")
_SUFFIXES = ("A.Ş.", "Ltd. Şti.", "San. ve Tic. A.Ş.", "San. ve Tic. Ltd. Şti.")
_CITIES = (("İstanbul", "Şişli"), ("Ankara", "Çankaya"), ("İzmir", "Bornova"), ("Bursa", "Osmangazi"),
           ("Antalya", "Muratpaşa"), ("Adana", "Seyhan"), ("Eskişehir", "Tepebaşı"), ("Trabzon", "Ortahisar"))
_FIRST = ("Ahmet", "Ayşe", "Mehmet", "Fatma", "Mustafa", "Zeynep", "Emre", "Elif", "Burak", "Selin", "Can",
          "Gül", "Oğuz", "Derya", "Serkan", "İpek", "Çağrı", "Şule", "Ümit", "Gökhan")
_LAST = ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Yıldız", "Öztürk", "Aydın", "Arslan", "Doğan",
         "Kılıç", "Aslan", "Çetin", "Koç", "Kurt", "Özdemir", "Güneş", "Erdoğan", "Şimşek", "Uçar")
_MICROSOFT_SELLERS = (("Deniz", "Aksoy"), ("Levent", "Ünal"), ("Sibel", "Karaca"), ("John", "Doe"))
_PARTNER_SELLERS = (("Referans", "Yöneticisi", "referrals"), ("Referans", "Okuyucu", "reader"),
                    ("Kerem", "Bulut", "kerem.bulut"), ("Nazlı", "Tan", "nazli.tan"))
_STATES = ((("New", "Pending"), 40), (("New", "Received"), 20), (("Active", "Accepted"), 25),
           (("Closed", "Won"), 7), (("Closed", "Lost"), 4), (("Closed", "Declined"), 2), (("Closed", "Expired"), 2))
_SOLUTIONS = (("SOL-Microsoft365", "Microsoft365", "Microsoft 365 geçişi ve kullanıcı eğitimi için destek istiyor."),
              ("SOL-Security", "Security", "E-posta güvenliği ve kimlik koruması (MFA) projesi planlıyor."),
              ("SOL-Azure", "Azure", "Sunucularını Azure'a taşımak ve yedekleme kurmak istiyor."),
              ("SOL-Dynamics365", "Dynamics365", "Satış ekibi için CRM (Dynamics 365 Sales) arıyor."),
              ("SOL-Teams", "Teams", "Teams Phone ve toplantı odaları için teklif bekliyor."))
_INDUSTRIES = ("Manufacturing", "Retail", "Distribution", "ProfessionalServices", "Hospitality", "Healthcare")
# the first referrals: (case, index into DEMO_COMPANIES or None for a generated company)
_SCHEDULE = (("messy", 0), ("company", 1), ("subdomain", 2), ("idn", 3), ("mixed", 4), ("company", 5),
             ("repeat", 0), ("consumer_only", None), ("empty_team", None), ("idn", None), ("subdomain", None),
             ("repeat", 1), ("messy", None), ("mixed", None), ("consumer_only", None))
_WEIGHTS = {"company": 40, "consumer_only": 10, "empty_team": 5, "messy": 8, "subdomain": 8, "idn": 8,
            "mixed": 10, "repeat": 11}
_FOLD = str.maketrans("çğıİöşüÇĞÖŞÜâî", "cgiIosuCGOSUai")


@dataclass(frozen=True, slots=True)
class Generated:
    referral: dict[str, Any]
    case: str
    expected_domain: str | None     # what a client derives from customerProfile.team (A-label)


@dataclass(frozen=True, slots=True)
class _Company:
    name: str
    domain: str
    city: str
    district: str


def generate(count: int, *, seed: int = 2026, anchor: dt.datetime = ANCHOR, start: int = 0) -> list[dict[str, Any]]:
    """``count`` referrals (numbers ``start`` …), the same for the same seed and anchor."""
    return [case.referral for case in generate_cases(count, seed=seed, anchor=anchor, start=start)]


def generate_cases(count: int, *, seed: int = 2026, anchor: dt.datetime = ANCHOR, start: int = 0) -> list[Generated]:
    companies = _synthetic_companies(seed)
    return [_one(index, seed, anchor, companies) for index in range(start, start + count)]


def _synthetic_companies(seed: int) -> list[_Company]:
    rng = random.Random(f"companies:{seed}")
    taken = {_fold(c[1]) for c in DEMO_COMPANIES}
    pairs = [(region, sector) for region in _REGIONS for sector in _SECTORS]
    rng.shuffle(pairs)
    companies = []
    for region, sector in pairs:
        joined = _fold(f"{region}{sector}").lower()
        domain = rng.choice((f"{joined}.com.tr", f"{joined}.com.tr", f"{_fold(region).lower()}-{_fold(sector).lower()}.com"))
        if domain not in taken:
            companies.append(_Company(f"{region} {sector} {rng.choice(_SUFFIXES)}", domain, *rng.choice(_CITIES)))
    return companies


def _fold(text: str) -> str:
    return text.translate(_FOLD)


def _plan(index: int, rng: random.Random, companies: list[_Company]) -> tuple[str, _Company]:
    """The case of referral ``index`` and its customer."""
    case, slot = _SCHEDULE[index] if index < len(_SCHEDULE) else (rng.choices(list(_WEIGHTS), list(_WEIGHTS.values()))[0], None)
    if slot is not None:
        return case, _Company(*DEMO_COMPANIES[slot])
    if case == "idn":
        return case, _Company(*_IDN_COMPANIES[index % len(_IDN_COMPANIES)])
    if case == "repeat":     # an earlier customer again: a demo one or one of the first synthetic ones
        earlier = rng.randrange(len(DEMO_COMPANIES) + min(index, 20))
        return case, (_Company(*DEMO_COMPANIES[earlier]) if earlier < len(DEMO_COMPANIES)
                      else companies[(earlier - len(DEMO_COMPANIES)) % len(companies)])
    return case, companies[index % len(companies)]


def _one(index: int, seed: int, anchor: dt.datetime, companies: list[_Company]) -> Generated:
    rng = random.Random(f"referral:{seed}:{index}")
    case, company = _plan(index, rng, companies)
    contacts, expected = _customer_team(case, company, rng)
    created = anchor - dt.timedelta(days=rng.uniform(1, 120))
    updated = min(anchor, created + dt.timedelta(days=rng.uniform(0, 10)))
    status, substatus = rng.choices([s for s, _ in _STATES], [w for _, w in _STATES])[0]
    referral = {
        "id": _guid(rng), "engagementId": _guid(rng), "organizationId": PARTNER_ORGANIZATION_ID,
        "organizationName": PARTNER_NAME, "name": f"{_short(company.name)} - {rng.choice(_SOLUTIONS)[1]}",
        "externalReferenceId": None,
        "createdDateTime": _text(created, rng), "updatedDateTime": _text(updated, rng),
        "expirationDateTime": (created + dt.timedelta(days=14)).strftime("%Y-%m-%dT00:00:00Z"),
        "acceptedDateTime": _text(updated, rng) if status == "Active" or substatus in ("Won", "Lost") else None,
        "status": status, "substatus": substatus, "statusReason": None,
        "qualification": rng.choice(("Direct", "MarketingQualified", "SalesQualified", "None")),
        "type": rng.choice(("Shared", "Independent")), "direction": rng.choices(("Incoming", "Outgoing"), (85, 15))[0],
        "target": [{"type": "BusinessProfileLocation", "id": _guid(rng)}],
        "customerProfile": _profile(company, contacts, rng),
        "consent": {"consentToToShareInfoWithOthers": True, "consentToContact": rng.random() > 0.1},
        "details": _details(created, rng), "team": _sellers(index, rng),
    }
    referral.update(_context(referral["direction"], referral["id"], referral["engagementId"], rng))
    return Generated(referral, case, expected)


def _short(name: str) -> str:
    """"Anadolu Tekstil San. ve Tic. A.Ş." → "Anadolu Tekstil"."""
    return " ".join(name.split()[:2])


def _guid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _text(moment: dt.datetime, rng: random.Random) -> str:
    """A 7-fraction-digit UTC text; the 7th digit (below Python's microseconds) from ``rng``."""
    return f"{moment.strftime('%Y-%m-%dT%H:%M:%S')}.{moment.microsecond:06d}{rng.randrange(10)}Z"


def _person(first: str, last: str, email: str, phone: str | None = None) -> dict[str, Any]:
    return {"firstName": first, "lastName": last, "email": email, "phoneNumber": phone or "",
            "contactPreference": {"locale": "tr-TR", "disableNotifications": False}}


def _contact(company: _Company, rng: random.Random, *, host: str | None = None) -> dict[str, Any]:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    local = f"{_fold(first)}.{_fold(last)}".lower()
    phone = f"+90 5{rng.randrange(30, 60)} {rng.randrange(100, 1000)} {rng.randrange(10, 100)} {rng.randrange(10, 100)}"
    return _person(first, last, f"{local}@{host or company.domain}", phone)


def _customer_team(case: str, company: _Company, rng: random.Random) -> tuple[list[dict[str, Any]], str | None]:
    expected = idna.encode(company.domain, uts46=True).decode()
    if case == "empty_team":
        return [], None
    if case == "consumer_only":
        return [_contact(company, rng, host=rng.choice(CONSUMER_DOMAINS)) for _ in range(rng.randint(1, 2))], None
    if case == "messy":
        contact = _contact(company, rng)
        local, _, host = contact["email"].partition("@")
        first, _, last = local.partition(".")
        labels = host.split(".")
        contact["email"] = f"  {first.title()}.{last.upper()}@{labels[0].title()}.{'.'.join(labels[1:]).upper()} "
        return [contact], expected
    if case == "subdomain":
        return [_contact(company, rng, host=f"{rng.choice(('mail', 'posta'))}.{company.domain}")], expected
    if case == "mixed":
        return [_contact(company, rng, host=rng.choice(CONSUMER_DOMAINS)), _contact(company, rng)], expected
    return [_contact(company, rng) for _ in range(rng.randint(1, 2))], expected


def _profile(company: _Company, contacts: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    ids = [{"profileType": "Duns", "id": str(rng.randrange(10**8, 10**9))}] if rng.random() < 0.3 else []
    return {"name": company.name,
            "address": {"addressLine1": f"{company.district} Mah. No:{rng.randint(1, 120)}", "addressLine2": "",
                        "city": company.city, "state": company.city, "postalCode": f"{rng.randint(1, 81):02d}{rng.randint(0, 999):03d}",
                        "country": "TR", "region": None},
            "size": rng.choice(SIZES), "team": contacts, "ids": ids}


def _details(created: dt.datetime, rng: random.Random) -> dict[str, Any]:
    solution_id, solution, notes = rng.choice(_SOLUTIONS)
    currency = rng.choices(("TRY", "USD"), (70, 30))[0]
    value = rng.randrange(150, 5000) * 1000 if currency == "TRY" else rng.randrange(5, 250) * 1000
    closing = created + dt.timedelta(days=rng.randint(30, 120))
    return {"notes": notes, "dealValue": value, "currency": currency,
            "closingDateTime": closing.strftime("%Y-%m-%dT00:00:00Z"),
            "requirements": {"industries": [{"id": rng.choice(_INDUSTRIES)}], "products": [{"id": solution}],
                             "services": [{"id": "DeploymentOrMigration"}],
                             "solutions": [{"id": solution_id, "name": solution, "type": "Category"}]}}


def _sellers(index: int, rng: random.Random) -> list[dict[str, Any]]:
    first, last = rng.choice(_MICROSOFT_SELLERS)
    team = [_person(first, last, f"{_fold(first)}.{_fold(last)}@microsoft.com".lower())]
    partner = [_PARTNER_SELLERS[0 if index % 2 else 2]] + ([_PARTNER_SELLERS[1]] if index % 3 == 0 else [])
    team += [_person(f, last_name, f"{local}@{PARTNER_DOMAIN}") for f, last_name, local in partner]
    return team


def _context(direction: str, referral_id: str, engagement_id: str, rng: random.Random) -> dict[str, Any]:
    invited_by = ({"organizationId": "msft", "organizationName": "Microsoft"} if direction == "Incoming"
                  else {"organizationId": PARTNER_ORGANIZATION_ID, "organizationName": PARTNER_NAME})
    base = "https://api.partner.microsoft.com/v1.0/engagements/referrals"
    return {"inviteContext": {"notes": "Merhaba, bu müşteriye yardımcı olabilir misiniz?", "invitedBy": invited_by},
            "links": {"relatedReferrals": {"uri": f"{base}?$filter=engagementId eq '{engagement_id}'", "method": "GET"},
                      "self": {"uri": f"{base}/{referral_id}", "method": "GET"}},
            "eTag": f'"{rng.getrandbits(32):08x}-0000-0000-0000-{rng.getrandbits(48):012x}"'}
