"""SPF, DMARC, DKIM and MTA-STS in plain words, each gap with its sales angle.  Pure."""

from __future__ import annotations

from ..model import Analysis, Dkim, Dmarc, MailSecurity, Spf
from ..scoring.score import posture_gaps
from . import angle as angles
from .angle import Angle
from .texts import Lang, phrase

_NOT_ASSESSED = ("invalid", "dns_error", "nxdomain", "no_mail")


def gaps(analysis: Analysis) -> list[str]:
    """Gap codes (``config.GAP_CODES``) of a domain that has mail; none otherwise."""
    if analysis.status != "ok" or analysis.provider.kind == "none":
        return []
    found = posture_gaps(analysis.spf, analysis.dmarc, analysis.dkim)
    if not analysis.mail_security.mta_sts:
        found.append("mta_sts_missing")
    if not analysis.mail_security.tls_rpt:
        found.append("tls_rpt_missing")
    return found


def describe(analysis: Analysis, angle: Angle, lang: Lang) -> list[str]:
    """One line per protection; a gap line ends with what to sell."""
    if angle in _NOT_ASSESSED:
        return [phrase(lang, f"posture.status.{angle}")]
    family = angles.family(analysis)
    return [
        _spf(analysis.spf, lang, family),
        _dmarc(analysis.dmarc, lang, family),
        _dkim(analysis.dkim, lang, family),
        _transport(analysis.mail_security, lang, family),
    ]


def _with_angle(state: str, check: str, lang: Lang, family: str) -> str:
    return phrase(lang, "posture.with_angle", state=state, angle=phrase(lang, f"posture.angle.{check}.{family}"))


def _spf_state(spf: Spf) -> str:
    if not spf.present:
        return "missing"
    if not spf.valid:
        return "invalid"
    if spf.all == "-all":
        return "ok"
    return {"+all": "plus_all", None: "no_all"}.get(spf.all, "not_strict")


def _spf(spf: Spf, lang: Lang, family: str) -> str:
    state = _spf_state(spf)
    text = phrase(lang, f"posture.spf.{state}", all=spf.all)
    return text if state == "ok" else _with_angle(text, "spf", lang, family)


def _dmarc_state(dmarc: Dmarc) -> str:
    if not dmarc.valid:
        return "missing"
    if dmarc.policy == "none":
        return "none"
    if (dmarc.coverage or 0) < 100:           # as scoring.posture_gaps: unknown coverage is partial
        return "partial"
    return "enforced"


def _dmarc(dmarc: Dmarc, lang: Lang, family: str) -> str:
    state = _dmarc_state(dmarc)
    text = phrase(lang, f"posture.dmarc.{state}", policy=dmarc.policy,
                  coverage="?" if dmarc.coverage is None else dmarc.coverage)
    if state != "missing" and dmarc.source == "organizational":
        text = f"{text} {phrase(lang, 'posture.dmarc.inherited')}"
    return text if state == "enforced" else _with_angle(text, "dmarc", lang, family)


def _dkim(dkim: Dkim, lang: Lang, family: str) -> str:
    if dkim.present:
        return phrase(lang, "posture.dkim.ok", selectors=", ".join(dkim.selectors) or "?")
    return _with_angle(phrase(lang, "posture.dkim.missing"), "dkim", lang, family)


def _transport(security: MailSecurity, lang: Lang, family: str) -> str:
    if security.mta_sts:
        return phrase(lang, "posture.mta_sts.ok")
    text = phrase(lang, "posture.mta_sts.missing")
    if not security.tls_rpt:
        text = f"{text} {phrase(lang, 'posture.tls_rpt.missing')}"
    return _with_angle(text, "mta_sts", lang, family)
