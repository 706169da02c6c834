"""MTA-STS (RFC 8461), SMTP TLS reporting (RFC 8460) and BIMI records of a domain.

Pure.  As both RFCs say, records not starting with the version tag are discarded and the
feature counts only when exactly one record remains.
"""

from __future__ import annotations

from hunter.dns.facts import DnsFacts
from hunter.model import MailSecurity

# (label in front of the domain, version tag, what to call it)
_CHECKS = (
    ("_mta-sts", "v=STSv1", "MTA-STS"),
    ("_smtp._tls", "v=TLSRPTv1", "TLS-RPT"),
    ("default._bimi", "v=BIMI1", "BIMI"),
)


def _tagged(records: tuple[str, ...], tag: str) -> list[str]:
    def starts(record: str) -> bool:
        head = record.strip().split(";", 1)[0].replace(" ", "")
        return head.lower() == tag.lower()

    return [record for record in records if starts(record)]


def _check(facts: DnsFacts, name: str, tag: str, what: str) -> tuple[bool, str | None]:
    matching = _tagged(facts.records(name, "TXT"), tag)
    if len(matching) == 1:
        return True, f"{what} record at {name}: {matching[0].strip()}"
    if matching:
        return False, f"{what} ignored: {len(matching)} records at {name} (exactly one allowed)"
    return False, None


def evaluate(facts: DnsFacts, domain: str) -> MailSecurity:
    """Which transport protections ``domain`` publishes, with the records as evidence."""
    flags: list[bool] = []
    evidence: list[str] = []
    for label, tag, what in _CHECKS:
        present, line = _check(facts, f"{label}.{domain}", tag, what)
        flags.append(present)
        if line is not None:
            evidence.append(line)
    return MailSecurity(mta_sts=flags[0], tls_rpt=flags[1], bimi=flags[2], evidence=evidence)
