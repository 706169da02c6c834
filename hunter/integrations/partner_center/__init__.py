"""The Partner Center referrals adapter: ``auth`` (MSAL), ``client`` (httpx), ``mapping`` (pure)
and ``adapter`` joining them behind ``integrations.base.ReferralSource``."""
