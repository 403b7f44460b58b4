"""Run the reference NA and CLI in-process, at fixed times, with fixed uuids.

The reference's own client code (its CLI commands, which use `requests`) talks to the
reference's own Flask NA apps through a requests adapter that hands each request to
the app's test client. No socket is opened. The clock is frozen with freezegun and
moved explicitly; uuid4 is replaced by a counter-derived uuid so every id is fixed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import traceback
import uuid
from datetime import datetime, timedelta, UTC
from typing import Any
from collections.abc import Iterator
from urllib.parse import urlsplit

import freezegun
import requests
from click.testing import CliRunner
from requests.structures import CaseInsensitiveDict


class FixedUuids:
    """uuid4 replacement: uuid n is derived from a counter, so ids repeat run to run."""

    def __init__(self) -> None:
        self.counter = 0

    def __call__(self) -> uuid.UUID:
        self.counter += 1
        digest = hashlib.sha256(f"handshake-interop-uuid-{self.counter}".encode()).digest()
        return uuid.UUID(bytes=digest[:16], version=4)


class FlaskAdapter(requests.adapters.BaseAdapter):
    """A requests transport that answers from in-process Flask apps, by host."""

    def __init__(self) -> None:
        super().__init__()
        self.apps: dict[str, Any] = {}

    def send(self, request, **kwargs):  # noqa: ANN001 - requests' adapter signature
        url = urlsplit(request.url)
        app = self.apps.get(url.netloc)
        if app is None:
            raise requests.ConnectionError(f"no reference NA at {url.netloc}")
        client = app.test_client()
        body = request.body
        if isinstance(body, str):
            body = body.encode("utf-8")
        reply = client.open(
            path=url.path, query_string=url.query, method=request.method,
            headers={k: v for k, v in request.headers.items() if k.lower() != "content-length"},
            data=body, base_url=f"{url.scheme}://{url.netloc}",
        )
        response = requests.Response()
        response.status_code = reply.status_code
        response._content = reply.get_data()
        response.headers = CaseInsensitiveDict(dict(reply.headers))
        response.url = request.url
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass


@contextlib.contextmanager
def reference_world(start: datetime) -> Iterator[World]:
    """Freeze the clock at ``start``, fix uuids and route requests to in-process NAs."""
    adapter = FlaskAdapter()
    original_get_adapter = requests.Session.get_adapter
    original_uuid4 = uuid.uuid4
    uuid.uuid4 = FixedUuids()
    requests.Session.get_adapter = lambda self, url: adapter  # type: ignore[method-assign]
    try:
        with freezegun.freeze_time(start) as clock:
            yield World(adapter, clock)
    finally:
        requests.Session.get_adapter = original_get_adapter  # type: ignore[method-assign]
        uuid.uuid4 = original_uuid4


#: One step between CLI calls at one stage of a scenario, so rows sort by issue time and
#: timestamps carry fractions.
STEP = timedelta(seconds=7, microseconds=123457)


class Operating:
    """What every scenario driver does with its world: run the reference CLI one STEP apart,
    and sign admin requests with its operator key (`world`, `operator` with a `key_id`, and
    `operator_key_file` are the driver's)."""

    world: World
    operator: Any
    operator_key_file: str

    def step(self) -> None:
        self.world.at(self.world.now() + STEP)

    def cli(self, *args: str) -> str:
        out = self.world.cli(*args)
        self.step()
        return out

    def admin(self, *args: str) -> list[str]:
        return [*args, "--operator-key", self.operator_key_file, "--operator-key-id", self.operator.key_id]


class World:
    """The frozen clock, the in-process NAs and a way to run the reference CLI."""

    def __init__(self, adapter: FlaskAdapter, clock: Any) -> None:
        self.adapter = adapter
        self.clock = clock

    def at(self, when: datetime) -> None:
        """Move the frozen clock to ``when`` (UTC)."""
        self.clock.move_to(when.astimezone(UTC))

    def now(self) -> datetime:
        return datetime.now(UTC)

    def serve(self, netloc: str, app: Any) -> None:
        self.adapter.apps[netloc] = app

    def cli(self, *args: str) -> str:
        """Run `genesis-mesh ARGS` (the reference's click CLI); return stdout, raise on failure."""
        from genesis_mesh.cli.main import cli

        result = CliRunner().invoke(cli, list(args), catch_exceptions=True)
        if result.exit_code != 0:
            detail = "".join(traceback.format_exception(*result.exc_info)) if result.exc_info else ""
            raise RuntimeError(f"genesis-mesh {' '.join(args)} failed ({result.exit_code}):\n"
                               f"{result.output}\n{detail}")
        return result.stdout

    def get(self, url: str) -> bytes:
        """The exact bytes a GET on ``url`` returns (status 200 required)."""
        response = requests.Session().get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url} -> {response.status_code}: {response.text[:300]}")
        return response.content

    def get_json(self, url: str) -> Any:
        return json.loads(self.get(url))
