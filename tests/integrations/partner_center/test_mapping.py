"""The pure mapping of Partner Center JSON (A.3, A.4, A.7 of the reference)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hunter.integrations.partner_center import mapping

DOC = {   # the shape of the documented sample (A.7), Turkish customer
    "id": "c5fbb3b6-be74-4795-9fb5-4324c73fed37", "engagementId": "65edc0b5-3485-41b7-a17e-dfa9ef4706e2",
    "name": "Anadolu Tekstil - M365", "createdDateTime": "2026-10-30T21:03:42.4579542Z",
    "updatedDateTime": "2026-10-31T08:12:00.0000001Z", "status": "New", "substatus": "Pending",
    "qualification": "Direct", "type": "Independent", "direction": "Incoming",
    "customerProfile": {"name": "Anadolu Tekstil A.Ş.", "address": {"country": "TR"}, "size": "10to50employees",
                        "team": [{"firstName": "Ayşe", "email": " Ayse.Kaya@Anadolu-Tekstil.COM.TR "},
                                 {"firstName": "No mail"}, "not a person"]},
    "details": {"dealValue": 50000, "currency": "TRY"},
    "team": [{"firstName": "John", "email": "john.doe@microsoft.com"}],
}


def test_a_documented_referral_becomes_a_record() -> None:
    r = mapping.record(DOC)
    assert (r.id, r.status, r.substatus, r.type, r.qualification, r.direction) == (
        DOC["id"], "New", "Pending", "Independent", "Direct", "Incoming")
    assert r.customer_name == "Anadolu Tekstil A.Ş." and r.customer_country == "TR"
    assert r.contact_emails == (" Ayse.Kaya@Anadolu-Tekstil.COM.TR ",)      # customer team only, as sent
    assert "john.doe@microsoft.com" not in r.contact_emails
    assert r.deal_value == 50000.0 and r.currency == "TRY"
    assert r.updated_text == "2026-10-31T08:12:00.0000001Z"                 # the watermark, all 7 digits
    assert r.updated == datetime(2026, 10, 31, 8, 12, tzinfo=UTC)
    assert r.created == datetime(2026, 10, 30, 21, 3, 42, 457954, tzinfo=UTC)
    assert r.raw == DOC


@pytest.mark.parametrize("change, problem", [
    ({"id": None}, "no id"), ({"id": "  "}, "no id"),
    ({"updatedDateTime": None}, "updatedDateTime"), ({"updatedDateTime": "yesterday"}, "updatedDateTime"),
])
def test_a_referral_without_id_or_update_time_is_refused_with_the_reason(change, problem) -> None:
    with pytest.raises(ValueError, match=problem):
        mapping.record({**DOC, **change})


def test_odd_shapes_are_tolerated() -> None:
    r = mapping.record({"id": "x", "updatedDateTime": "2026-01-01T00:00:00Z", "customerProfile": {"team": {}},
                        "details": {"dealValue": "n/a"}})
    assert r.contact_emails == () and r.deal_value is None and r.customer_name is None


def test_page_and_next_link() -> None:
    assert mapping.page({"value": [1, 2], "@odata.nextLink": "http://x/v1.0/referrals?$skiptoken=a"}) == (
        [1, 2], "http://x/v1.0/referrals?$skiptoken=a")
    assert mapping.page({"value": []}) == ([], None)
    with pytest.raises(ValueError, match="OData collection"):
        mapping.page({"items": []})


def test_error_bodies_of_both_services() -> None:
    body = {"error": {"code": "unAuthorized", "message": "Caller is not authorized to access the resource.",
                      "innerError": {"code": "x", "message": "Unauthorized referral access"}}}
    assert mapping.error_of(body) == ("unAuthorized", "Caller is not authorized to access the resource.")
    assert mapping.error_of({"error": "invalid_grant", "error_description": "AADSTS50126: bad"}) == (
        "invalid_grant", "AADSTS50126: bad")
    assert mapping.error_of("oops") == (None, None)


def test_the_delta_filter_keeps_the_watermark_text() -> None:
    assert mapping.filter_since("2026-10-31T08:12:00.0000001Z") == "updatedDateTime gt 2026-10-31T08:12:00.0000001Z"
    with pytest.raises(ValueError):
        mapping.filter_since("2026-10-31' or 1 eq 1")
