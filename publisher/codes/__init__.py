"""The one registry of reason codes.

Every finding carries a code from here; the documentation's reason-code page is generated
from it and a test fails when a code is used but not registered. Codes are stable API:
rename one only with a deprecation note. Each area of the project keeps its codes in its own
module below (core verification, history, site, authoring) and they are merged here; a code
defined twice is an import-time error.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass
from types import MappingProxyType
from collections.abc import Mapping


class Severity(str, enum.Enum):  # noqa: UP042  (StrEnum would change what str() and f-strings print)
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Code:
    """A reason code: its severity, a one-line title, and what it means for a reviewer.

    `reference` lists the genesis-mesh 1.8.1 reason strings this code corresponds to, so a
    verdict can be compared with the reference's strict verifier.
    """

    name: str
    severity: Severity
    title: str
    explanation: str
    reference: tuple[str, ...] = ()


def _merge(*groups: tuple[Code, ...]) -> Mapping[str, Code]:
    merged: dict[str, Code] = {}
    for group in groups:
        for code in group:
            if code.name in merged:
                raise RuntimeError(f"reason code {code.name} defined twice")
            merged[code.name] = code
    return MappingProxyType(dict(sorted(merged.items())))


from publisher.codes import authoring as _authoring  # noqa: E402
from publisher.codes import core as _core  # noqa: E402
from publisher.codes import history as _history  # noqa: E402
from publisher.codes import site as _site  # noqa: E402

REGISTRY: Mapping[str, Code] = _merge(_core.CODES, _history.CODES, _site.CODES, _authoring.CODES)

__all__ = ["Code", "REGISTRY", "Severity"]
