"""The handshake site: a static, offline, reproducible rendering of a verified repository.

Stages: `context` (indexes, graph) -> `views*` (view models) -> `render` (Jinja2, autoescaped)
-> `build` (every file in memory, manifest) -> `publish` (atomic swap on disk). `serve`
previews on 127.0.0.1; `verify_site` rebuilds from a manifest and compares.
"""
from __future__ import annotations

from publisher import __version__

GENERATOR = f"handshake {__version__}"
