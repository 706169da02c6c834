"""The HTTP API (``hunter serve``): see docs/api.md."""

from .app import create_app

__all__ = ["create_app"]
