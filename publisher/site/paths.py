"""Where each page and file of the site lives, and how pages link to each other.

Ids come from documents and are attacker-controlled, so they become URL segments only when
`publisher.layout.is_safe_id` accepts them; any other id gets a page name derived from its
hash (`_` + 32 hex: the leading underscore can never start a safe id, so the two never
collide). Ids that differ only in case get the hashed form for every id after the first,
so the site also works on case-insensitive hosts. Raw files keep their repository names,
linked with every segment percent-encoded. All links are relative, so the site works from
any directory, any static host, and file://.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable
from urllib.parse import quote

from publisher.layout import is_safe_id


def hashed_slug(identifier: str) -> str:
    return "_" + hashlib.sha256(identifier.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def assign_slugs(identifiers: Iterable[str]) -> dict[str, str]:
    """A file-name-safe, case-insensitively unique slug per id (sorted ids, so deterministic)."""
    slugs: dict[str, str] = {}
    taken: set[str] = set()
    for identifier in sorted(set(identifiers)):
        slug = identifier if is_safe_id(identifier) else hashed_slug(identifier)
        if slug.casefold() in taken:
            slug = hashed_slug(identifier)
        taken.add(slug.casefold())
        slugs[identifier] = slug
    return slugs


def encode_path(path: str) -> str:
    """A repository path as a relative URL: each segment percent-encoded."""
    return "/".join(quote(segment, safe="") for segment in path.split("/"))


def root_of(page_path: str) -> str:
    """The relative prefix from a page back to the site root (`../../` for a page two deep)."""
    return "../" * page_path.count("/")


def sovereign_dir(slug: str) -> str:
    return f"sovereigns/{slug}"


def sovereign_page(slug: str) -> str:
    return f"sovereigns/{slug}/index.html"


def treaty_page(sovereign_slug: str, treaty_slug: str) -> str:
    return f"sovereigns/{sovereign_slug}/treaties/{treaty_slug}.html"


def raw_path(sovereign_slug: str, repo_path: str) -> str:
    """Site path of a raw document `sovereigns/<id>/<rest>`: under the sovereign's slug."""
    parts = repo_path.split("/", 2)
    rest = parts[2] if len(parts) == 3 else parts[-1]
    return f"sovereigns/{sovereign_slug}/{rest}"


def bundle_path(slug: str) -> str:
    return f"trust-bundles/{slug}.json"


def bundle_hash_path(slug: str) -> str:
    """Sidecar holding the bundle hash (sha256 of the compact JSON, FORMATS §10)."""
    return f"trust-bundles/{slug}.bundle-hash"


def cluster_page(cluster_id: str) -> str:
    return f"connectome/{cluster_id}.html"
