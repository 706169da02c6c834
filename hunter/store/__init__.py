"""The persistent store: SQLAlchemy models, repositories and migrations (docs/store.md).

Repositories take a ``Session`` and never commit: the flow that uses them owns the
transaction.  ``migrate.upgrade(url)`` brings a database to the schema of this version.
"""

from __future__ import annotations

from .changes import ChangeRepository
from .imports import ImportRepository, ImportRowInput
from .leads import SORTS, LeadFilter, LeadInput, LeadPage, LeadRepository, PageRequest
from .scans import ScanRepository

__all__ = ["SORTS", "ChangeRepository", "ImportRepository", "ImportRowInput", "LeadFilter",
           "LeadInput", "LeadPage", "LeadRepository", "PageRequest", "ScanRepository"]
