"""Settings: every ``HUNTER_*`` variable, validated.  Built by entry points, never at import."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from typing import Annotated

from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .dns.options import Nameserver
from .dns.plan import DEFAULT_DKIM_SELECTORS


CommaList = Annotated[tuple[str, ...], NoDecode]


def _split(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUNTER_", extra="ignore", frozen=True)

    data_dir: Path = Path("data")
    log_level: str = "WARNING"

    # DNS: see CONTRACT.md for how primary and fallback resolvers are chosen.
    dns_nameservers: CommaList = ()
    dns_fallback_nameservers: CommaList = ()
    dns_timeout: float = Field(2.0, gt=0, le=60)
    dns_attempts: int = Field(3, ge=1, le=10)
    dns_domain_time_limit: float = Field(30.0, gt=0, le=600)
    dns_concurrency: int = Field(200, ge=1, le=5000)
    dns_cache_enabled: bool = True
    dns_cache_max_entries: int = Field(50_000, ge=1)
    dns_dkim_selectors: CommaList = DEFAULT_DKIM_SELECTORS

    rules_dir: Path | None = None
    sales_config: Path | None = None          # YAML with partner name, offers and prices

    import_max_rows: int = Field(200_000, ge=1)
    import_max_bytes: int = Field(50 * 1024 * 1024, ge=1)

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    api_upload_max_bytes: int = Field(50 * 1024 * 1024, ge=1)
    jobs_concurrency: int = Field(50, ge=1, le=1000)

    enrichment_enabled: bool = False
    # Offline IP enrichment databases (docs/enrichment.md): explicit paths win over the dir search.
    enrichment_db_dir: Path | None = None
    enrichment_db_path_maxmind_city: Path | None = None
    enrichment_db_path_maxmind_country: Path | None = None
    enrichment_db_path_maxmind_asn: Path | None = None
    enrichment_db_path_ip2location: Path | None = None
    enrichment_db_path_ip2proxy: Path | None = None
    database_url: SecretStr | None = None     # default: SQLite file data_dir/hunter.db
    redis_url: SecretStr | None = None

    def database(self) -> str:
        """The database URL to use (a secret: never log it unmasked; see store.db.safe_url)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        from .store.db import sqlite_url

        return sqlite_url(self.data_dir)

    @field_validator("dns_nameservers", "dns_fallback_nameservers", "dns_dkim_selectors", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split(value)

    @field_validator("enrichment_db_dir", "enrichment_db_path_maxmind_city", "enrichment_db_path_maxmind_country",
                     "enrichment_db_path_maxmind_asn", "enrichment_db_path_ip2location",
                     "enrichment_db_path_ip2proxy", mode="before")
    @classmethod
    def _empty_path_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("dns_nameservers", "dns_fallback_nameservers")
    @classmethod
    def _valid_nameservers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for item in value:
            Nameserver.parse(item)  # raises ValueError with the offending text
        return value
