"""Settings: every ``HUNTER_*`` variable, validated.  Built by entry points, never at import."""

from __future__ import annotations

from pathlib import Path

from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationInfo, field_validator

from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .dns.options import Nameserver
from .dns.plan import DEFAULT_DKIM_SELECTORS


DEFAULT_AUTHORITY = "https://login.microsoftonline.com/organizations"
DEFAULT_PC_BASE_URL = "https://api.partner.microsoft.com/v1.0/engagements/referrals"
DEFAULT_PC_SCOPE = "https://api.partner.microsoft.com/.default"

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
    dns_plan: Literal["staged", "full"] = "staged"             # full: every name for every domain
    dns_max_qps: float = Field(0.0, ge=0, le=1_000_000)        # per resolver; 0 = no fixed limit
    dns_public_max_qps: float = Field(50.0, gt=0, le=1_000_000)  # per public fallback resolver

    rules_dir: Path | None = None
    sales_config: Path | None = None          # YAML with partner name, offers and prices

    import_max_rows: int = Field(200_000, ge=1)
    import_max_bytes: int = Field(50 * 1024 * 1024, ge=1)

    api_host: str = "127.0.0.1"
    api_port: int = Field(8000, ge=1, le=65535)
    api_upload_max_bytes: int = Field(50 * 1024 * 1024, ge=1)
    metrics_token: SecretStr | None = None    # when set, /metrics needs "Authorization: Bearer <it>"
    jobs_concurrency: int = Field(50, ge=1, le=1000)
    # Production jobs (docs/operations.md): Celery workers and beat instead of the in-process runner.
    jobs_backend: Literal["inprocess", "celery"] = "inprocess"
    broker_url: SecretStr | None = None       # default: HUNTER_REDIS_URL, else redis://127.0.0.1:6379/0
    celery_chunk_size: int = Field(200, ge=1, le=10_000)          # items per message of a bulk scan
    celery_visibility_timeout: int = Field(3600, ge=5, le=86_400)  # Redis: seconds before an unacked message returns
    celery_max_tasks_per_child: int = Field(1000, ge=1)
    rescan_older_than_days: int = Field(30, ge=1, le=3650)        # beat: rescan leads older than this, daily
    rescan_time: str = "02:00"                                    # beat: when (HH:MM UTC)
    d365_push_interval_minutes: int = Field(15, ge=1, le=1440)    # beat: push stale leads this often

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

    # Microsoft sign-in shared by Partner Center and Dataverse (docs/partner-center.md).
    aad_authority: str = DEFAULT_AUTHORITY    # the whole authority URL, host included
    ca_bundle: Path | None = None             # CA file trusted for every outbound HTTPS call
    secret_key: SecretStr | None = None       # encrypts stored token caches when set

    # Partner Center referrals (docs/partner-center.md); off unless the flag is set.
    partner_center_sync_enabled: bool = Field(False, validation_alias=AliasChoices(
        "HUNTER_PARTNER_CENTER_SYNC_ENABLED", "PARTNER_CENTER_SYNC_ENABLED", "partner_center_sync_enabled"))
    pc_auth_mode: Literal["ropc", "device_code"] = "device_code"
    pc_client_id: str | None = None
    pc_client_secret: SecretStr | None = None
    pc_username: str | None = None
    pc_password: SecretStr | None = None
    pc_base_url: str = DEFAULT_PC_BASE_URL
    pc_scope: str = DEFAULT_PC_SCOPE
    pc_token_cache: Path | None = None        # default: data_dir/partner-center.tokencache
    pc_timeout: float = Field(30.0, gt=0, le=600)
    pc_max_attempts: int = Field(5, ge=1, le=20)
    pc_create_leads: bool = True
    pc_sync_time: str = "05:30"               # daily run by `hunter serve`, HH:MM UTC

    # Dynamics 365 Sales / Dataverse (docs/dynamics.md); off unless the flag is set.
    d365_enabled: bool = False
    d365_url: str | None = None               # the environment, e.g. https://contoso.crm4.dynamics.com
    d365_api_version: str = "9.2"
    d365_scope: str | None = None             # default: <d365_url>/.default
    d365_client_id: str | None = None
    d365_client_secret: SecretStr | None = None
    d365_authority: str | None = None         # default: HUNTER_AAD_AUTHORITY (an environment in another tenant)
    d365_mapping: Path | None = None          # default: the bundled hunter/rules/dynamics.yaml
    d365_timeout: float = Field(30.0, gt=0, le=600)
    d365_max_attempts: int = Field(6, ge=1, le=20)
    d365_batch_size: int = Field(100, ge=1, le=1000)      # requests per $batch (Dataverse: at most 1000)
    d365_concurrency: int = Field(4, ge=1, le=52)         # batches in flight (Dataverse: 52 per user)
    public_url: str | None = None             # Hunter's own address, for the link back from Dynamics

    # The lead screen (docs/web.md): browser sessions and how times are shown.
    session_hours: float = Field(12.0, gt=0, le=24 * 30)        # a session's absolute lifetime
    session_idle_minutes: int = Field(120, ge=1, le=24 * 60)    # ends after this long without a request
    cookie_secure: Literal["auto", "true", "false"] = "auto"    # auto: Secure when the request is HTTPS
    web_timezone: str = "Europe/Istanbul"                       # times on the pages

    def database(self) -> str:
        """The database URL to use (a secret: never log it unmasked; see store.db.safe_url)."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        from .store.db import sqlite_url

        return sqlite_url(self.data_dir)

    def token_cache_path(self) -> Path:
        """Where the Partner Center MSAL token cache lives (0600; encrypted with the secret key)."""
        return self.pc_token_cache or self.data_dir / "partner-center.tokencache"

    @field_validator("pc_sync_time", "rescan_time")
    @classmethod
    def _time_of_day(cls, value: str) -> str:
        hours, _, minutes = value.strip().partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"{value!r} is not a time of day HH:MM (UTC)")
        return f"{int(hours):02d}:{int(minutes):02d}"

    def d365_sign_in_authority(self) -> tuple[str, str]:
        """The authority for Dataverse and the setting it came from (for messages)."""
        if self.d365_authority:
            return self.d365_authority, "HUNTER_D365_AUTHORITY"
        return self.aad_authority, "HUNTER_AAD_AUTHORITY"

    def d365_resource_scope(self) -> str | None:
        """``HUNTER_D365_SCOPE``, else ``<environment URL>/.default`` (never derived from the API path)."""
        if self.d365_scope:
            return self.d365_scope
        return f"{self.d365_url}/.default" if self.d365_url else None

    @field_validator("cookie_secure", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("d365_api_version")
    @classmethod
    def _api_version(cls, value: str) -> str:
        value = value.strip().lstrip("vV")
        parts = value.split(".")
        if len(parts) != 2 or not all(p.isdigit() for p in parts):
            raise ValueError(f"{value!r} is not a Web API version such as 9.2")
        return value

    @field_validator("d365_url", "d365_authority", "public_url", mode="before")
    @classmethod
    def _optional_url(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str):
            value = value.strip().rstrip("/")
            if not value:
                return None
            schemes = ("https://", "http://") if info.field_name == "public_url" else ("https://",)
            if not value.lower().startswith(schemes):
                raise ValueError(f"{value!r} must be an {' or '.join(s.rstrip(':/') for s in schemes)} URL")
        return value

    @field_validator("aad_authority", "pc_base_url")
    @classmethod
    def _https_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.lower().startswith("https://") or len(value) <= len("https://"):
            raise ValueError(f"{value!r} must be an https:// URL")
        return value

    @field_validator("pc_client_id", "pc_username", "pc_token_cache", "ca_bundle", "d365_client_id",
                     "d365_scope", "d365_mapping", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

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
