"""DMARC: read one record, judge the TXT set at ``_dmarc.<name>``, walk to the org domain.

``parse(text)`` makes a ``DmarcRecord`` or raises ``DmarcSyntaxError`` when the text is not a
DMARC record at all (RFC 7489 §6.6.3 step 2 would discard it: empty, leading whitespace, first
tag not exactly ``v=DMARC1``).  Everything else is *tolerated and recorded*: Hunter is an
auditor, so ``DmarcRecord.valid`` answers "would a receiver apply this record's policy?" and
``errors``/``warnings`` say what is off.  The verdicts follow
``shared/data/dmarc/dmarc-record-cases.json``:

* tolerated (warning only): tag names in any case, whitespace around ``=`` and ``;``, a
  missing final ``;``, empty tags (``;;``), unknown tags, ``p`` not directly after ``v``;
  keyword values (``p=ReJect``) are case-insensitive as ABNF literals are; ``DMARC1`` is not.
* invalid (``valid=False``): a bad ``p`` value (even with ``rua``: the cases file follows
  DMARCbis here, although RFC 7489 §6.6.3 receivers would act as ``p=none``), duplicate or
  malformed tags, bad ``adkim``/``aspf``/``fo``/``psd``/``t``, any bad ``rua``/``ruf`` URI.
* RFC 7489 §6.6.3 fallback: no ``p``, or a bad ``sp``/``np``, with at least one valid ``rua``
  URI → the record acts as ``p=none`` (valid, with an error); without ``rua`` → invalid.
* bad ``pct``/``ri``/``rf`` (tags DMARCbis removed): an error, the default is used (RFC 7489
  §6.3 "discarded in favor of default values"), the record stays valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, cast

from hunter import model
from hunter.dns.facts import Answer, Query, Walker

Policy = Literal["none", "quarantine", "reject"]
Alignment = Literal["r", "s"]
Source = Literal["domain", "organizational"]

_POLICIES: tuple[Policy, ...] = ("none", "quarantine", "reject")
_VERSION = re.compile(r"[vV][ \t]*=[ \t]*DMARC1[ \t]*(?:;|$)")
_LOOKALIKE = re.compile(r"\s*v\s*=\s*dmarc", re.IGNORECASE)
_SPF = re.compile(r"\s*v\s*=\s*spf1", re.IGNORECASE)
_TAG_NAME = re.compile(r"[a-z][a-z0-9]*")
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+")
_MAILTO = re.compile(r"mailto:[^@\s]+@[^@\s]+", re.IGNORECASE)
_SIZE = re.compile(r"(\d+)([kmgt]?)", re.IGNORECASE)
_KEYWORD = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}
_LENIENT_TAGS = frozenset({"pct", "ri", "rf"})      # bad value: error, default used, still valid
_FALLBACK_TAGS = frozenset({"sp", "np"})            # bad value: RFC 7489 §6.6.3 fallback


class DmarcSyntaxError(ValueError):
    """The text is not a DMARC record (a receiver would discard it)."""


@dataclass(frozen=True, slots=True)
class ReportUri:
    """One ``rua``/``ruf`` entry: ``text`` as published, ``uri`` without the size suffix."""

    text: str
    uri: str
    max_size: int | None = None    # bytes, from the optional ``!<n>[kmgt]`` suffix


@dataclass(frozen=True, slots=True)
class DmarcRecord:
    """One parsed DMARC record with effective values (RFC 7489 defaults applied)."""

    text: str
    tags: tuple[tuple[str, str], ...]          # (lower-case name, trimmed value), as published
    valid: bool
    policy: Policy | None                      # p, or "none" by the §6.6.3 fallback
    subdomain_policy: Policy | None            # sp, else policy
    nonexistent_policy: Policy | None          # np (DMARCbis), else subdomain_policy
    pct: int = 100
    rua: tuple[ReportUri, ...] = ()
    ruf: tuple[ReportUri, ...] = ()
    adkim: Alignment = "r"
    aspf: Alignment = "r"
    fo: tuple[str, ...] = ("0",)
    rf: tuple[str, ...] = ("afrf",)
    ri: int = 86400
    psd: Literal["y", "n", "u"] = "u"
    t: Literal["y", "n"] = "n"
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


class _TagError(ValueError):
    pass


# --- tag values -----------------------------------------------------------------------------

def _keyword(value: str, allowed: tuple[str, ...]) -> str:
    word = value.lower()
    if word not in allowed:
        raise _TagError(f"invalid value {value!r} (expected {'|'.join(allowed)})")
    return word


def _policy(value: str) -> str:
    return _keyword(value, _POLICIES)


def _alignment(value: str) -> str:
    return _keyword(value, ("r", "s"))


def _number(value: str, *, limit: int) -> int:
    if not value.isascii() or not value.isdigit() or int(value) > limit:
        raise _TagError(f"invalid value {value!r} (expected an integer 0..{limit})")
    return int(value)


def _pct(value: str) -> int:
    return _number(value, limit=100)


def _ri(value: str) -> int:
    return _number(value, limit=2**32 - 1)


def _colon_list(value: str, check: Callable[[str], bool]) -> tuple[str, ...]:
    items = tuple(item.strip(" \t").lower() for item in value.split(":"))
    bad = [item for item in items if not check(item)]
    if bad:
        raise _TagError(f"invalid value {value!r}")
    return items


def _fo(value: str) -> tuple[str, ...]:
    return _colon_list(value, lambda item: item in ("0", "1", "d", "s"))


def _rf(value: str) -> tuple[str, ...]:
    return _colon_list(value, lambda item: _KEYWORD.fullmatch(item) is not None)


def _report_uri(text: str) -> ReportUri:
    uri, bang, size_text = text.rpartition("!") if "!" in text else (text, "", "")
    if not _URI.fullmatch(uri) or (uri.lower().startswith("mailto:") and not _MAILTO.match(uri)):
        raise _TagError(f"invalid report URI {text!r}")
    if not bang:
        return ReportUri(text, uri)
    size = _SIZE.fullmatch(size_text)
    if size is None:
        raise _TagError(f"invalid size limit in {text!r} (expected !<digits>[k|m|g|t])")
    max_size = int(size.group(1)) * _UNITS[size.group(2).lower()]
    if max_size >= 2**64:
        raise _TagError(f"size limit too large in {text!r}")
    return ReportUri(text, uri, max_size)


def _uris(value: str) -> tuple[ReportUri, ...]:
    return tuple(_report_uri(item.strip(" \t")) for item in value.split(","))


_HANDLERS: dict[str, Callable[[str], object]] = {
    "p": _policy, "sp": _policy, "np": _policy,
    "adkim": _alignment, "aspf": _alignment,
    "pct": _pct, "ri": _ri, "fo": _fo, "rf": _rf,
    "rua": _uris, "ruf": _uris,
    "psd": lambda value: _keyword(value, ("y", "n", "u")),
    "t": lambda value: _keyword(value, ("y", "n")),
}


# --- parse ----------------------------------------------------------------------------------

def _check_version(text: str) -> None:
    if not text.strip():
        raise DmarcSyntaxError("empty record")
    if text[0].isspace():
        raise DmarcSyntaxError("record starts with whitespace; it must start with 'v=DMARC1'")
    if _VERSION.match(text):
        return
    if _SPF.match(text):
        raise DmarcSyntaxError("an SPF record, not DMARC")
    name, _, value = text.split(";", 1)[0].partition("=")
    if name.strip().lower() != "v":
        raise DmarcSyntaxError("record must start with 'v=DMARC1'")
    hint = " (missing ';' after it?)" if re.match(r"\s*DMARC1\s", value) else ""
    raise DmarcSyntaxError(f"version must be exactly 'DMARC1', got {value.strip()!r}{hint}")


@dataclass(slots=True)
class _Draft:
    """What parse collects before it judges the record."""

    tags: list[tuple[str, str]]
    values: dict[str, object]
    bad: dict[str, str]
    errors: list[str]
    warnings: list[str]
    fatal: bool = False

    def fail(self, message: str) -> None:
        self.errors.append(message)
        self.fatal = True


def _split_tags(text: str, draft: _Draft) -> None:
    parts = text.split(";")[1:]
    for index, part in enumerate(parts):
        item = part.strip()
        if not item:
            if index < len(parts) - 1:
                draft.warnings.append("empty tag (';;') ignored")
            continue
        name, equals, value = item.partition("=")
        name = name.strip().lower()
        if not equals or not _TAG_NAME.fullmatch(name):
            draft.fail(f"malformed tag {item!r} (expected name=value)")
        elif any(name == seen for seen, _ in draft.tags) or name == "v":
            draft.fail(f"duplicate tag {name!r}")
        else:
            draft.tags.append((name, value.strip()))


def _read_values(draft: _Draft) -> None:
    for name, value in draft.tags:
        handler = _HANDLERS.get(name)
        if handler is None:
            draft.warnings.append(f"unknown tag {name!r} ignored")
            continue
        try:
            draft.values[name] = handler(value)
        except _TagError as error:
            draft.bad[name] = f"{name}: {error}"


def _judge_values(draft: _Draft) -> bool:
    """Record errors for bad values; True when the §6.6.3 policy fallback is needed."""
    needs_fallback = "p" not in draft.values and "p" not in draft.bad
    for name, message in draft.bad.items():
        if name in _LENIENT_TAGS:
            draft.errors.append(f"{message}; the default is used")
        elif name in _FALLBACK_TAGS:
            draft.errors.append(message)
            needs_fallback = True
        else:
            draft.fail(message)
    return needs_fallback


def _apply_fallback(draft: _Draft) -> None:
    """RFC 7489 §6.6.3: no ``p`` or a bad ``sp``/``np`` → ``p=none`` if ``rua`` has a valid URI."""
    if "p" in draft.bad:
        return                                   # a bad p is already fatal (cases file)
    reason = "no p tag" if "p" not in draft.values else "invalid sp/np"
    if draft.values.get("rua"):
        draft.errors.append(f"{reason}: with a valid rua receivers act as p=none (RFC 7489 §6.6.3)")
        draft.values.update({"p": "none", "sp": "none", "np": "none"})
    else:
        draft.fail(f"{reason} and no valid rua: receivers apply no DMARC policy (RFC 7489 §6.6.3)")


def _report_uris(draft: _Draft) -> list[ReportUri]:
    found: list[ReportUri] = []
    for name in ("rua", "ruf"):
        found.extend(cast(tuple[ReportUri, ...], draft.values.get(name, ())))
    return found


def _warn_style(draft: _Draft) -> None:
    names = [name for name, _ in draft.tags]
    if "p" in names and names[0] != "p":
        draft.warnings.append("p should directly follow v (RFC 7489 §6.3)")
    for uri in _report_uris(draft):
        if not uri.uri.lower().startswith("mailto:"):
            draft.warnings.append(f"report URI {uri.uri!r} is not mailto: (receivers may ignore it)")


def parse(text: str) -> DmarcRecord:
    """Parse one DMARC TXT record; raise ``DmarcSyntaxError`` when it is not DMARC at all."""
    _check_version(text)
    draft = _Draft(tags=[], values={}, bad={}, errors=[], warnings=[])
    _split_tags(text, draft)
    _read_values(draft)
    if _judge_values(draft):
        _apply_fallback(draft)
    _warn_style(draft)
    return _record(text, draft)


def _record(text: str, draft: _Draft) -> DmarcRecord:
    values = draft.values
    policy = cast(Policy | None, values.get("p"))
    subdomain = cast(Policy | None, values.get("sp", policy))
    optional = {name: values[name] for name in
                ("pct", "rua", "ruf", "adkim", "aspf", "fo", "rf", "ri", "psd", "t") if name in values}
    return DmarcRecord(
        text=text, tags=tuple(draft.tags), valid=not draft.fatal,
        policy=policy, subdomain_policy=subdomain,
        nonexistent_policy=cast(Policy | None, values.get("np", subdomain)),
        errors=tuple(draft.errors), warnings=tuple(draft.warnings),
        **optional,  # type: ignore[arg-type]
    )


# --- evaluate -------------------------------------------------------------------------------

def is_record(text: str) -> bool:
    """True for a TXT string that starts with ``v=DMARC1`` (RFC 7489 §6.6.3 step 2)."""
    return _VERSION.match(text) is not None


def has_record(txt_records: Iterable[str]) -> bool:
    return any(is_record(text) for text in txt_records)


def _ignored_notes(txt_records: Iterable[str]) -> tuple[list[str], list[str]]:
    """(lookalikes, notes): TXT that is almost DMARC, or SPF, with why it was ignored."""
    lookalikes, notes = [], []
    for text in txt_records:
        if is_record(text) or not (_LOOKALIKE.match(text) or _SPF.match(text)):
            continue
        try:
            parse(text)
        except DmarcSyntaxError as error:
            notes.append(f"ignored TXT {text!r}: {error}")
        if _LOOKALIKE.match(text):
            lookalikes.append(text)
    return lookalikes, notes


def evaluate(txt_records: Iterable[str], *, source: Source = "domain") -> model.Dmarc:
    """Judge every TXT string found at ``_dmarc.<name>``; never raises.

    Non-DMARC TXT is discarded (RFC 7489 §6.6.3); broken look-alikes and SPF records there
    are named in ``errors``.  Several DMARC records: present, not valid, no policy applies.
    With ``source="organizational"`` the record was inherited, so ``policy`` is its ``sp``
    (else ``p``): the policy that applies to the subdomain being analysed.
    """
    texts = list(txt_records)
    records = [text for text in texts if is_record(text)]
    lookalikes, notes = _ignored_notes(texts)
    if not records:
        return model.Dmarc(present=bool(lookalikes), record=lookalikes[0] if lookalikes else None,
                           source=source if lookalikes else None, errors=notes)
    if len(records) > 1:
        listed = ", ".join(repr(text) for text in sorted(records))
        return model.Dmarc(present=True, source=source, errors=[
            f"multiple DMARC records ({len(records)}): receivers apply no policy "
            f"(RFC 7489 §6.6.3): {listed}", *notes])
    return _to_model(parse(records[0]), source=source, notes=notes)


def _to_model(record: DmarcRecord, *, source: Source, notes: list[str]) -> model.Dmarc:
    errors = [*record.errors, *(f"warning: {text}" for text in record.warnings), *notes]
    shared = {"present": True, "record": record.text, "source": source, "errors": errors,
              "rua": [uri.text for uri in record.rua], "ruf": [uri.text for uri in record.ruf]}
    if not record.valid:
        return model.Dmarc(valid=False, **shared)  # type: ignore[arg-type]
    policy = record.subdomain_policy if source == "organizational" else record.policy
    return model.Dmarc(
        valid=True, policy=policy, subdomain_policy=record.subdomain_policy,
        pct=record.pct, coverage=record.pct, adkim=record.adkim, aspf=record.aspf,
        **shared,  # type: ignore[arg-type]
    )


# --- walk -----------------------------------------------------------------------------------

def _texts(answer: Answer) -> tuple[str, ...]:
    return answer.records if answer.ok else ()


def _dns_error(answer: Answer) -> str:
    detail = "; ".join(answer.errors) or "no resolver answered"
    return f"dns: {answer.query.name} TXT failed: {detail}"


def walk(domain: str, org_domain: str | None = None) -> Walker[model.Dmarc]:
    """Sans-I/O DMARC discovery (RFC 7489 §6.6.3 steps 1-5) for ``domain``.

    Asks ``_dmarc.<domain>``; when no ``v=DMARC1`` record is there and ``org_domain``
    differs, asks ``_dmarc.<org_domain>`` and returns its verdict with
    ``source="organizational"`` (policy = its ``sp``, else ``p``).  A failed lookup is never
    "no DMARC": the result carries a ``dns: …`` error.
    """
    name = domain.lower().rstrip(".")
    answer = yield Query(f"_dmarc.{name}", "TXT")
    if answer.failed:
        return model.Dmarc(errors=[_dns_error(answer)])
    here = evaluate(_texts(answer), source="domain")
    org = org_domain.lower().rstrip(".") if org_domain else None
    if has_record(_texts(answer)) or org is None or org == name:
        return here
    org_answer = yield Query(f"_dmarc.{org}", "TXT")
    if org_answer.failed:
        return here.model_copy(update={"errors": [*here.errors, _dns_error(org_answer)]})
    inherited = evaluate(_texts(org_answer), source="organizational")
    if not inherited.present:
        return here
    return inherited.model_copy(update={"errors": [*here.errors, *inherited.errors]})
