"""Schema variants of the Dataverse stand-in, so a client's readiness check meets a table that is not ready."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hunter.sandbox.dataverse import DataverseSandbox
from hunter.sandbox.dataverse_schema import lead_schema
from tests.sandbox.test_dataverse_api import error_of, fresh_client


@pytest.fixture(scope="module")
def unready(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DataverseSandbox]:
    """``hnt_tenantsize`` missing, ``hnt_domain`` shorter, the key's index still Pending."""
    schema = lead_schema(drop=["hnt_tenantsize"], change={"hnt_domain": {"max_length": 100}}, key_status="Pending")
    with DataverseSandbox(tmp_path_factory.mktemp("dv-unready"), schema=schema) as running:
        yield running


@pytest.fixture
def api(unready: DataverseSandbox) -> Iterator[httpx.Client]:
    unready.set_key_status("Pending")
    yield from fresh_client(unready)


def test_metadata_reflects_the_dropped_column_and_the_inactive_key(api: httpx.Client) -> None:
    text = api.get("$metadata").text
    assert 'Name="hnt_score"' in text and 'Name="hnt_tenantsize"' not in text
    assert "AlternateKeys" not in text                                  # only Active keys are announced
    attributes = api.get("EntityDefinitions(LogicalName='lead')/Attributes",
                         params={"$select": "LogicalName"}).json()["value"]
    assert "hnt_tenantsize" not in {attribute["LogicalName"] for attribute in attributes}
    domain = api.get("EntityDefinitions(LogicalName='lead')/Attributes(LogicalName='hnt_domain')").json()
    assert domain["MaxLength"] == 100
    (key,) = api.get("EntityDefinitions(LogicalName='lead')/Keys").json()["value"]
    assert key["EntityKeyIndexStatus"] == "Pending"


def test_an_inactive_key_cannot_address_records_nor_keep_them_unique(api: httpx.Client) -> None:
    expected = (400, "0x80060890", "The specified key attributes are not a defined key for the lead entity")
    assert error_of(api.get("leads(hnt_domain='a.example')")) == expected
    assert error_of(api.patch("leads(hnt_domain='a.example')", json={"subject": "x"})) == expected
    for _ in range(2):
        assert api.post("leads", json={"subject": "x", "hnt_domain": "a.example"}).status_code == 204


def test_a_dropped_column_is_an_unknown_property(api: httpx.Client) -> None:
    assert error_of(api.post("leads", json={"subject": "x", "hnt_tenantsize": "large"}))[:2] == (400, "0x80060888")
    assert error_of(api.post("leads", json={"subject": "x", "hnt_domain": "d" * 101}))[:2] == (400, "0x80044331")


def test_the_key_can_become_active(unready: DataverseSandbox, api: httpx.Client) -> None:
    unready.set_key_status("Active")
    assert api.patch("leads(hnt_domain='b.example')", json={"subject": "x"}).status_code == 204
    assert api.get("leads(hnt_domain='b.example')").status_code == 200


def test_schema_variants() -> None:
    assert lead_schema(key=False).keys == ()
    assert lead_schema(drop=["hnt_domain"]).keys == ()
    changed = lead_schema(change={"hnt_score": {"type": "String", "max_length": 10, "min_value": None,
                                                "max_value": None}})
    assert changed.column("hnt_score").edm_type == "Edm.String"
    assert lead_schema(key_status="Failed").keys[0].status == "Failed"
    with pytest.raises(ValueError, match="no such lead column"):
        lead_schema(drop=["hnt_nothing"])
    with pytest.raises(ValueError, match="primary key"):
        lead_schema(drop=["leadid"])
    with pytest.raises(ValueError, match="EntityKeyIndexStatus"):
        lead_schema(key_status="Broken")
