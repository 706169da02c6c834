"""The Dynamics 365 Sales (Dataverse) lead adapter: ``mapping`` (pure: the YAML mapping, lead
values → columns, readiness), ``batch`` (pure: the ``$batch`` format), ``client`` (httpx: the
Web API calls), ``push`` (the per-lead upsert protocol, rounds, retries, concurrency) and
``adapter`` joining them behind ``integrations.base.LeadSink``."""
