"""Input text → ``Target``: the domain to analyse, or why there is none (pure)."""

from .target import Target, parse

__all__ = ["Target", "parse"]
