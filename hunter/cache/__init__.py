"""Key-value caches with a TTL behind one interface: in memory (default) or Redis."""

from .base import Cache, CacheStats
from .memory import MemoryCache

__all__ = ["Cache", "CacheStats", "MemoryCache"]
