"""Where the shipped schemas and site templates are: inside the installed package
(`publisher/schema_files`, `publisher/site_template`, see pyproject) or, in a source checkout
or editable install, at the repository root beside the package.

Found by path, not through `importlib.resources`: the folders hold no `__init__.py`, so an
installed one is a namespace package, whose `files()` is a MultiplexedPath that names no
directory; every non-editable install (`pip install .`, the CI templates' pinned git
requirement) then failed to find its schemas."""
from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent
INSTALLED = {"schemas": "schema_files", "site_template": "site_template"}   # folder names inside the package


@cache
def resource_dir(name: str) -> Path:
    """Directory of a shipped resource folder: 'schemas' or 'site_template'."""
    for path in (_PACKAGE / INSTALLED[name], _CHECKOUT / name):
        if path.is_dir():
            return path
    raise FileNotFoundError(f"Handshake resource folder {name!r} not found (looked at "
                            f"{_PACKAGE / INSTALLED[name]} and {_CHECKOUT / name})")
