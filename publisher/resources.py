"""Where the shipped schemas and site templates are: inside the installed package
(`publisher.schema_files`, `publisher.site_template`, see pyproject) or, in a source checkout
or editable install, at the repository root beside the package."""
from __future__ import annotations

import importlib.resources
from functools import cache
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent
PACKAGED = {"schemas": "publisher.schema_files", "site_template": "publisher.site_template"}


@cache
def resource_dir(name: str) -> Path:
    """Directory of a shipped resource folder: 'schemas' or 'site_template'."""
    try:
        packaged = importlib.resources.files(PACKAGED[name])
        path = Path(str(packaged))
        if path.is_dir():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    path = _CHECKOUT / name
    if not path.is_dir():
        raise FileNotFoundError(f"Handshake resource folder {name!r} not found (looked in the "
                                f"installed package and at {path})")
    return path
