"""The company domain of a referral's customer, from its contacts (and a website when there is one)."""

from __future__ import annotations

import pytest

from hunter.normalise import company_domain


def test_contacts_are_trimmed_lower_cased_and_reduced_to_the_registrable_domain() -> None:
    found = company_domain.derive(["  Ayse.YILMAZ@Mail.Firma.COM.TR "])
    assert (found.domain, found.source) == ("firma.com.tr", "contact_email")
    assert "firma.com.tr" in found.reason


def test_idn_becomes_an_a_label() -> None:
    found = company_domain.derive(["ali@çiçekçilik.com.tr"])
    assert found.domain == "çiçekçilik".encode("idna").decode() + ".com.tr"


@pytest.mark.parametrize("mailbox", ["x@gmail.com", "y@hotmail.com.tr", "z@mynet.com", "q@ttnet.com.tr",
                                     "r@superonline.net", "s@turk.net", "t@yandex.com.tr"])
def test_consumer_mailboxes_are_dropped(mailbox: str) -> None:
    found = company_domain.derive([mailbox])
    assert found.domain is None and found.source is None
    assert "consumer mailbox" in found.reason


def test_a_consumer_mailbox_beside_a_company_one_does_not_win() -> None:
    found = company_domain.derive(["x@gmail.com", "b@acme.com.tr"])
    assert found.domain == "acme.com.tr"
    assert "1 consumer mailbox dropped (gmail.com)" in found.reason


def test_the_most_common_domain_wins_and_ties_go_to_the_first_seen() -> None:
    assert company_domain.derive(["a@one.com", "b@two.com", "c@two.com"]).domain == "two.com"
    tie = company_domain.derive(["a@one.com", "b@two.com"])
    assert tie.domain == "one.com"
    assert "most common of 2" in tie.reason


def test_a_website_wins_over_contacts() -> None:
    found = company_domain.derive(["a@group-holding.com"], website="https://www.Firma.com.tr/iletisim")
    assert (found.domain, found.source) == ("firma.com.tr", "website")


def test_a_consumer_or_broken_website_falls_back_to_contacts() -> None:
    assert company_domain.derive(["a@firma.com.tr"], website="gmail.com").source == "contact_email"
    assert company_domain.derive(["a@firma.com.tr"], website="not a site").domain == "firma.com.tr"


def test_no_usable_domain_says_why() -> None:
    assert company_domain.derive([]).reason == "no customer contact e-mail and no website"
    assert company_domain.derive([None, "  "]).domain is None
    broken = company_domain.derive(["not-an-address@", "@"])
    assert broken.domain is None and "unusable" in broken.reason


def test_a_domain_always_names_its_source() -> None:
    with pytest.raises(ValueError):
        company_domain.CompanyDomain("a.com", None, "x")
