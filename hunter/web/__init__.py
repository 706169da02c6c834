"""The lead screen: server-rendered pages (Jinja2) for the sales team, mounted by
``hunter.api.create_app`` beside the API and calling the same flows (docs/web.md)."""

from .app import UPLOAD_PATH, install

__all__ = ["UPLOAD_PATH", "install"]
