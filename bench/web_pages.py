"""Benchmark: the web lead screen (list with facets, detail) on 100 000 leads in PostgreSQL.

Creates a fresh database on 127.0.0.1:5432 (bench/lead_database.py), seeds N leads, then:

  --mode pages (default): runs Hunter's app in-process (``create_app`` and its lifespan, an
      httpx ``ASGITransport`` client: no sockets, so the figures are the app's own), creates an
      admin user, signs in through the login form (the session cookie stays in the client) and
      times GET of the list page for every case below, the detail page of random leads and the
      dashboard, --requests times each;
  --mode queries: what the list page asks the store, without the web layer:
      ``FacetRepository.counts`` (every facet) and ``LeadRepository.list`` (one page of 50 with
      its total), timed apart and together; then the dashboard's ``DashboardRepository`` figures.

Prints p50 / p95 / max in ms per case.  Drops the database at the end unless --keep; --url
reuses a database seeded before (with --keep; migrated to head, nothing else created or dropped).

    python bench/web_pages.py [--leads 100000] [--requests 30] [--mode pages|queries]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs

import httpx
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lead_database import percentile, scratch_database, seed  # noqa: E402  (bench/lead_database.py)

from hunter.api.schemas import ExportQuery  # noqa: E402
from hunter.settings import Settings  # noqa: E402
from hunter.store import migrate  # noqa: E402
from hunter.store.db import make_engine, session_factory  # noqa: E402
from hunter.store.dashboard import DashboardRepository  # noqa: E402
from hunter.store.facets import FACETS, FacetRepository  # noqa: E402
from hunter.store.leads import LeadRepository, PageRequest  # noqa: E402

# --- the web UI's routes and sign-in: adjust here when they change -----------------------------
LIST_PATH = "/leads"                 # the lead list page (filters as query parameters, facets beside)
DETAIL_PATH = "/leads/{id}"          # the lead detail page
DASHBOARD_PATH: str | None = "/dashboard"   # None: not measured
LOGIN_PATH = "/login"                # GET shows the form, POST signs in (form fields below)
USERNAME, PASSWORD = "bench-admin", "bench-Password-2026!"
CSRF_FIELD = re.compile(r'name="(csrf[_a-z]*)"\s+value="([^"]+)"')   # a hidden CSRF field, if the form has one
CASES = [                             # query strings of the list page (the API's parameter names)
    "", "sort=priority", "priority=P1", "priority=P1&priority=P2&segment=greenfield",
    "provider=m365&sort=-score", "referral=true", "dynamics=none", "dynamics=pushed&priority=P3",
    "local_provider=Natro&tenant_size=large", "gateway=true", "score_min=60&score_max=90&sort=-score",
    "q=firma12", "status=ok&sort=company",
]


def create_user(settings: Settings) -> None:
    """The admin the benchmark signs in as (``hunter.store.users``, the web UI's user store)."""
    from hunter.store.users import UserRepository

    engine = make_engine(settings.database())
    with session_factory(engine)() as session, session.begin():
        users = UserRepository(session)
        if users.by_name(USERNAME) is None:
            users.create(USERNAME, password=PASSWORD, role="admin")
    engine.dispose()


async def login(client: httpx.AsyncClient) -> None:
    """Sign in through the form; the client keeps the session cookie."""
    form = {"username": USERNAME, "password": PASSWORD}
    page = await client.get(LOGIN_PATH)
    if match := CSRF_FIELD.search(page.text):
        form[match.group(1)] = match.group(2)
    answer = await client.post(LOGIN_PATH, data=form)
    if answer.status_code >= 400 or not client.cookies:
        raise SystemExit(f"sign-in failed: POST {LOGIN_PATH} answered {answer.status_code} and set no cookie")


# --- measuring ---------------------------------------------------------------------------------

def report(label: str, times: list[float], extra: str = "") -> None:
    print(f"  {label:62} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} {max(times):8.1f}{extra}")


def header(title: str) -> None:
    print(f"{title:64} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")


async def timed_get(client: httpx.AsyncClient, paths: Iterator[str], n: int) -> list[float]:
    times = []
    for _ in range(n):
        path = next(paths)
        started = time.perf_counter()
        response = await client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"GET {path} answered {response.status_code}: adjust the paths at the top of "
                             f"{Path(__file__).name}, or use --mode queries")
    return times


async def measure_pages(settings: Settings, count: int, n: int) -> None:
    from hunter.api import create_app

    create_user(settings)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hunter.bench", timeout=60) as client:
            await login(client)
            header(f"GET {LIST_PATH}?…")
            for case in CASES:
                report(case or "(no filter)", await timed_get(client, _repeat(f"{LIST_PATH}?{case}"), n))
            ids = iter(random.Random(1).sample(range(1, count + 1), n))
            report(f"GET {DETAIL_PATH} (random leads)",
                   await timed_get(client, (DETAIL_PATH.format(id=i) for i in ids), n))
            if DASHBOARD_PATH is not None:
                report(f"GET {DASHBOARD_PATH} (dashboard)", await timed_get(client, _repeat(DASHBOARD_PATH), n))


def measure_queries(url: str, n: int) -> None:
    engine = make_engine(url)
    sessions = session_factory(engine)
    header("facets + list page (store only)")
    for case in CASES:
        query = ExportQuery.model_validate({k: v if k == "priority" else v[0] for k, v in parse_qs(case).items()})
        filters = query.to_filter()
        facets, lists, both = [], [], []
        for _ in range(n):
            with sessions() as session:
                started = time.perf_counter()
                FacetRepository(session).counts(filters, FACETS)
                middle = time.perf_counter()
                LeadRepository(session).list(filters, query.sort, PageRequest(limit=50))
                ended = time.perf_counter()
            facets.append((middle - started) * 1000)
            lists.append((ended - middle) * 1000)
            both.append((ended - started) * 1000)
        print(f"  {case or '(no filter)'}")
        report("    facets (all 9)", facets)
        report("    list (page of 50 + total)", lists)
        report("    both", both)
    dashboard = []
    for _ in range(n):
        with sessions() as session:
            figures, started = DashboardRepository(session), time.perf_counter()
            figures.by_priority(), figures.by_segment(), figures.by_provider(10), figures.recent_changes(20)
            dashboard.append((time.perf_counter() - started) * 1000)
    report("dashboard figures (by priority, segment, provider; 20 changes)", dashboard)
    engine.dispose()


def _repeat(path: str) -> Iterator[str]:
    while True:
        yield path


@contextmanager
def database(args: argparse.Namespace) -> Iterator[str]:
    if args.url:
        migrate.upgrade(args.url)
        yield args.url
        return
    with scratch_database(keep=args.keep) as url:
        started = time.perf_counter()
        seed(url, args.leads)
        print(f"seeded {args.leads} leads with one scan each in {time.perf_counter() - started:.0f} s")
        yield url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--mode", choices=["pages", "queries"], default="pages")
    parser.add_argument("--keep", action="store_true", help="keep the database (prints its URL)")
    parser.add_argument("--url", help="a database seeded before (--keep); nothing is created or dropped")
    args = parser.parse_args()
    with database(args) as url:
        if args.mode == "queries":
            measure_queries(url, args.requests)
            return
        with tempfile.TemporaryDirectory() as data_dir:
            settings = Settings(database_url=SecretStr(url), data_dir=Path(data_dir))
            asyncio.run(measure_pages(settings, args.leads, args.requests))


if __name__ == "__main__":
    main()
