"""Analyse many inputs with bounded concurrency, yielding results in input order.

Memory stays flat: at most ``window`` inputs are in flight or waiting to be written, however
long the input is.  Every input gives exactly one result (nothing is dropped).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Iterable

from ..model import Analysis
from ..pipeline import Context, analyze


async def analyze_many(texts: Iterable[str], ctx: Context, *, concurrency: int = 200,
                       rescan: bool = False) -> AsyncIterator[Analysis]:
    """Yield ``analyze(text)`` for every text, in order, running up to ``concurrency`` at once."""
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    gate = asyncio.Semaphore(concurrency)
    window = concurrency * 4
    pending: deque[asyncio.Task[Analysis]] = deque()

    async def one(text: str) -> Analysis:
        async with gate:
            return await analyze(text, ctx, rescan=rescan)

    try:
        for text in texts:
            pending.append(asyncio.create_task(one(text)))
            while len(pending) >= window or (pending and pending[0].done()):
                yield await pending.popleft()
        while pending:
            yield await pending.popleft()
    finally:
        for task in pending:
            task.cancel()
