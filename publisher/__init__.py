"""Handshake: publish and verify Genesis Mesh sovereign trust material from a git repository."""
from __future__ import annotations

__version__ = "0.1.0"
