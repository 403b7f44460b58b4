"""Seeded trust bundles from in-process reference NAs, changed after export, with the reference's verdicts.

`run(seed)` plays a `graph_scenario.GraphScenario` (3 to 6 NAs, random federation, lifecycle,
attestation, feed import and key succession operations on a frozen clock) and, at each of its
snapshot instants, has the reference CLI write every NA's bundle (`genesis-mesh trust-bundle
export`, as the corpus does; some without the revocation feed). Each bundle is then changed after
export by recipes from `MUTATIONS` (a treaty or feed changed, a field added, the genesis swapped,
tampered or re-rooted, a `bundle_hash` field claimed, connectome entries removed, duplicated or
reordered, the JSON re-serialized, duplicate keys, numbers the strict reader refuses...): every
recipe on one NA's bundles per snapshot, a seeded handful on the others.

For every file the reference's own verdict (`verdicts.bundle_verdict`): `validate_trust_bundle`
(errors, warnings), `bundle_hash`, `bundle_summary`, and `genesis_refusal` of the embedded genesis
under the root of the sovereign the bundle names when that sovereign is one of the scenario's.

The snapshot's served documents come along, so a Handshake repository can import the same
sovereigns (`test_bundle_differential.py`). Deterministic per seed.
"""

from __future__ import annotations

import copy
import json
import random
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .graph_scenario import START, GraphScenario
from .harness import reference_world
from .verdicts import bundle_verdict

Bundle = dict[str, Any]
#: recipe(bundle, context) -> the file's text, or None when the recipe does not apply to this bundle
Recipe = Callable[[Bundle, "Context"], "str | None"]


def dump(bundle: Any) -> str:
    """The form `trust-bundle export` writes."""
    return json.dumps(bundle, indent=2, sort_keys=True) + "\n"


class Context:
    """What a recipe may use besides the bundle: the other NAs' bundles, an attacker key, a seeded rng."""

    def __init__(self, sid: str, others: dict[str, Bundle], attacker: Any, rng: random.Random,
                 keys: dict[str, dict[str, Any]]) -> None:
        self.sid, self.others, self.attacker, self.rng, self.keys = sid, others, attacker, rng, keys

    def other(self) -> Bundle:
        return self.others[self.rng.choice(sorted(self.others))]


def _changed(fn: Callable[[Bundle, Context], bool | None]) -> Recipe:
    """A recipe that edits a deep copy in place (False: not applicable) and writes it as export does."""
    def recipe(bundle: Bundle, ctx: Context) -> str | None:
        copied = copy.deepcopy(bundle)
        return None if fn(copied, ctx) is False else dump(copied)
    return recipe


def _feed(bundle: Bundle) -> dict[str, Any] | None:
    feed = bundle.get("revocation_feed")
    return feed["payload"] if isinstance(feed, dict) and isinstance(feed.get("payload"), dict) else None


def _set_feed(key: str, value: Callable[[Bundle, Context], Any]) -> Recipe:
    def fn(b: Bundle, ctx: Context) -> bool | None:
        payload = _feed(b)
        if payload is None:
            return False
        payload[key] = value(b, ctx)
        return None
    return _changed(fn)


def _treaty_changed(b: Bundle, ctx: Context) -> bool | None:
    treaties = b["connectome"]["active_treaties"]
    if not treaties:
        return False
    treaties[0]["expires_at"] = "2099-01-01T00:00:00Z"
    treaties[0]["scope"] = {**treaties[0].get("scope", {}), "allowed_roles": ["role:root"]}
    return None


def _genesis_self_rooted(b: Bundle, ctx: Context) -> None:
    from .cases import sign_received

    forged = {**b["genesis"], "root_public_key": ctx.attacker.public_b64}
    b["genesis"] = sign_received("GenesisBlock", forged, ctx.attacker)
    b["sovereign_metadata"]["root_public_key"] = ctx.attacker.public_b64


def _resigned(edit: Callable[[dict[str, Any]], dict[str, Any]], by: str = "root", extra: bool = False) -> Recipe:
    """The genesis edited, then signed by the sovereign's own root (or NA key) over the received form;
    `extra`: the root's valid signature kept and a second, invalid one added."""
    from .cases import sign_received

    def fn(b: Bundle, ctx: Context) -> None:
        key = ctx.keys[ctx.sid][by]
        genesis = edit(copy.deepcopy(b["genesis"]))
        signed = sign_received("GenesisBlock", genesis, key)
        if extra:
            bogus = sign_received("GenesisBlock", {**genesis, "network_version": "other"}, ctx.keys[ctx.sid]["na"])
            signed["signatures"] = signed["signatures"] + bogus["signatures"]
        b["genesis"] = signed
    return _changed(fn)


def _plus00(genesis: dict[str, Any]) -> dict[str, Any]:
    na = genesis["network_authority"]
    for name in ("valid_from", "valid_to"):
        if isinstance(na.get(name), str):
            na[name] = na[name].replace("Z", "+00:00")
    return genesis


def _genesis_and_metadata_swapped(b: Bundle, ctx: Context) -> None:
    other = ctx.other()
    b["genesis"], b["sovereign_metadata"] = other["genesis"], other["sovereign_metadata"]


def _reordered(b: Bundle, ctx: Context) -> bool | None:
    c = b["connectome"]
    if len(c["recognition_edges"]) + len(c["active_treaties"]) < 2 and not b["genesis"].get("signatures"):
        return False
    c["recognition_edges"].reverse()
    c["active_treaties"].reverse()
    c["revoked_trust_material"].reverse()
    b["genesis"]["bootstrap_anchors"] = list(reversed(b["genesis"].get("bootstrap_anchors", [])))
    return None


def _before_type(text: str, member: str) -> str:
    """A member written by hand, as it stands, before "bundle_type" (the first key of the sorted text)."""
    return text.replace('  "bundle_type"', f'  {member},\n  "bundle_type"', 1)


def _text(fn: Callable[[str], str]) -> Recipe:
    return lambda b, ctx: fn(dump(b))


def _duplicate_version(text: str) -> str:
    # {"bundle_type": ..., then a first "bundle_version" the JSON reader's last-wins hides
    return text.replace('  "bundle_version": "v1"', '  "bundle_version": "v2",\n  "bundle_version": "v1"', 1)


def _compact_unsorted(b: Bundle, ctx: Context) -> str:
    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reverse(v) for v in value]
        return value
    return json.dumps(reverse(b), separators=(",", ":"))


def _non_ascii(b: Bundle, ctx: Context) -> str:
    b = copy.deepcopy(b)
    b["sovereign_metadata"]["display_name"] = "Zürich ✓ \x7f 😀 \u2028"
    return json.dumps(b, indent=1, sort_keys=True, ensure_ascii=False)


def _numbers(b: Bundle, ctx: Context) -> str:
    text = dump(b)
    # floats in their JSON spellings (Python writes them back as repr), a large integer inside 2^63
    return _before_type(text, '"review_scores": [1.0, 1E2, 1e-07, 0.1, 2.50, -0.0, 12345678901234567890]')


def _big_integer(b: Bundle, ctx: Context) -> str:
    return _before_type(dump(b), '"review_count": 123456789012345678901234567890')


def _nan(b: Bundle, ctx: Context) -> str:
    return _before_type(dump(b), '"review_score": NaN')


def _pop(path: str) -> Recipe:
    *parents, last = path.split(".")

    def fn(b: Bundle, ctx: Context) -> bool | None:
        target: Any = b
        for p in parents:
            target = target.get(p) if isinstance(target, dict) else None
        if not isinstance(target, dict) or last not in target:
            return False
        del target[last]
        return None
    return _changed(fn)


def _put(path: str, value: Callable[[Bundle, Context], Any]) -> Recipe:
    *parents, last = path.split(".")

    def fn(b: Bundle, ctx: Context) -> bool | None:
        target: Any = b
        for p in parents:
            target = target.get(p) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            return False
        target[last] = value(b, ctx)
        return None
    return _changed(fn)


def _edge(fn: Callable[[list[Any]], None]) -> Recipe:
    def edit(b: Bundle, ctx: Context) -> bool | None:
        edges = b["connectome"]["recognition_edges"]
        if not edges:
            return False
        fn(edges)
        return None
    return _changed(edit)


def _renamed(name: str) -> Callable[[Bundle, Context], None]:
    """Every place the sovereign's id is written, renamed (the genesis signature no longer covers it)."""
    def fn(b: Bundle, ctx: Context) -> None:
        b["sovereign_id"] = b["sovereign_metadata"]["sovereign_id"] = b["genesis"]["network_name"] = name
        if _feed(b) is not None:
            _feed(b)["issuer_sovereign_id"] = name  # type: ignore[index]
    return fn


def _nested(depth: int) -> Recipe:
    return _put("review_nested", lambda b, ctx: json.loads("[" * depth + "]" * depth))


MUTATIONS: dict[str, Recipe] = {
    "as-exported": lambda b, ctx: None,                       # the exported bytes themselves (see run)
    "treaty-changed": _changed(_treaty_changed),
    "feed-sequence-changed": _set_feed("sequence", lambda b, ctx: int(_feed(b)["sequence"]) + 1),  # type: ignore[index]
    "feed-revoked-ids-changed": _set_feed("revoked_attestation_ids", lambda b, ctx: ["forged-id"]),
    "feed-issuer-changed": _set_feed("issuer_sovereign_id", lambda b, ctx: ctx.other()["sovereign_id"]),
    "feed-sequence-true": _set_feed("sequence", lambda b, ctx: True),
    "feed-sequence-float": _set_feed("sequence", lambda b, ctx: 2.0),
    "feed-skipped": _put("revocation_feed", lambda b, ctx: {"status": "skipped"}),
    "feed-ok-without-payload": _put("revocation_feed", lambda b, ctx: {"status": "ok"}),
    "feed-not-an-object": _put("revocation_feed", lambda b, ctx: "ok"),
    "policy-of-another-sovereign": _put("recognition_policy", lambda b, ctx: {"status": "ok", "payload": {
        "local_sovereign_id": ctx.other()["sovereign_id"], "recognized_issuers": []}}),
    "policy-ok-payload-list": _put("recognition_policy", lambda b, ctx: {"status": "ok", "payload": []}),
    "field-added": _put("review_note", lambda b, ctx: "checked by hand"),
    "forbidden-field-added": _put("connectome.summary.session_token_id", lambda b, ctx: "t-1"),
    "forbidden-field-in-list": _edge(lambda edges: edges[-1].update(api_secret_hint="none")),
    "bundle-hash-field": _put("bundle_hash", lambda b, ctx: "sha256:" + "0" * 64),
    "genesis-swapped": _put("genesis", lambda b, ctx: ctx.other()["genesis"]),
    "genesis-and-metadata-swapped": _changed(_genesis_and_metadata_swapped),
    "genesis-tampered": _put("genesis.network_version", lambda b, ctx: "v9.9"),
    "genesis-unsigned": _put("genesis.signatures", lambda b, ctx: []),
    "genesis-self-rooted": _changed(_genesis_self_rooted),
    "genesis-name-removed": _pop("genesis.network_name"),
    "metadata-na-key-removed": _pop("sovereign_metadata.network_authority.public_key"),
    "metadata-na-key-other": _put("sovereign_metadata.network_authority",
                                  lambda b, ctx: ctx.other()["sovereign_metadata"]["network_authority"]),
    "metadata-na-null": _put("sovereign_metadata.network_authority", lambda b, ctx: None),
    "metadata-na-string": _put("sovereign_metadata.network_authority", lambda b, ctx: "na"),
    "metadata-not-an-object": _put("sovereign_metadata", lambda b, ctx: ["not", "an", "object"]),
    "sovereign-id-removed": _pop("sovereign_id"),
    "version-v2": _put("bundle_version", lambda b, ctx: "v2"),
    "type-wrong": _put("bundle_type", lambda b, ctx: "genesis-mesh.trust-bundle.v1"),
    "created-at-removed": _pop("created_at"),
    "connectome-removed": _pop("connectome"),
    "endpoint-checks-removed": _pop("endpoint_checks"),
    "edge-removed": _edge(lambda edges: edges.pop()),
    "edge-duplicated": _edge(lambda edges: edges.append(copy.deepcopy(edges[0]))),
    "edge-lifecycle-changed": _edge(lambda edges: edges[0].update(lifecycle_state="active", expiry_risk="low")),
    "summary-count-changed": _put("connectome.summary.active_edge_count", lambda b, ctx: 99),
    "active-treaties-not-a-list": _put("connectome.active_treaties", lambda b, ctx: 7),
    "lists-reordered": _changed(_reordered),
    "compact-unsorted": _compact_unsorted,
    "non-ascii-unescaped": _non_ascii,
    "number-spellings": _numbers,
    "integer-out-of-range": _big_integer,
    "nan": _nan,
    "duplicate-key": _text(_duplicate_version),
    "sovereign-unknown-here": _changed(_renamed("OMEGA-NA")),
    "sovereign-id-unsafe": _changed(_renamed("../OMEGA-NA")),
    "genesis-removed": _pop("genesis"),
    "genesis-null": _put("genesis", lambda b, ctx: None),
    "empty-object": lambda b, ctx: "{}\n",
    "top-level-list": lambda b, ctx: "[" + dump(b) + "]\n",
    "trailing-data": _text(lambda text: text + "{}\n"),
    "byte-order-mark": _text(lambda text: "\ufeff" + text),
    "nested-deeper-than-64": _nested(70),
    "long-string": _put("review_note", lambda b, ctx: "x" * 70_000),
    "lone-surrogate": _text(lambda text: _before_type(text, '"review_note": "\\ud800"')),
    "genesis-resigned": _resigned(lambda g: g),
    "genesis-resigned-unknown-field": _resigned(lambda g: {**g, "epoch": 7}),
    "genesis-resigned-plus00": _resigned(_plus00),
    "genesis-signed-by-na-key": _resigned(lambda g: g, by="na"),
    "genesis-second-signature-invalid": _resigned(lambda g: g, extra=True),
    "control-characters": _put("review_note", lambda b, ctx: "tab\t nul\x00 us\x1f del\x7f quote\" slash/ back\\"),
    "number-out-of-float-range": _text(lambda text: _before_type(text, '"review_score": 1e400')),
    "negative-zero": _text(lambda text: _before_type(text, '"review_count": -0')),
}
#: How many recipes besides as-exported the other NAs' bundles get per snapshot.
SAMPLED = 6


def _root_b64(pub_text: str) -> str:
    return "".join(line.strip() for line in pub_text.splitlines() if not line.startswith("#"))


class BundleScenario(GraphScenario):
    """A graph scenario that also exports every NA's trust bundle at each snapshot."""

    def snapshot(self) -> None:
        super().snapshot()
        exported: dict[str, Any] = {}
        outdir = self.tmp / "bundles"
        outdir.mkdir(exist_ok=True)
        for sov in self.sovs:
            path = outdir / f"trust-bundle-{sov.name}.json"
            args = ["trust-bundle", "export", "--na", sov.url, "--output", str(path), "--format", "json"]
            if self.rng.random() < 0.2:
                args.append("--no-include-revocation-feed")
            stdout = json.loads(self.world.cli(*args))   # the clock does not move: same instant
            stdout.pop("bundle_path")                    # a temp path
            exported[sov.name] = {"text": path.read_text(encoding="utf-8"), "export": stdout}
        self.snapshots[-1]["bundles"] = exported


def mutate(seed: int, snapshot: dict[str, Any], index: int, attacker: Any,
           keys: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every NA's bundle as exported and changed after export, each with the reference's verdict."""
    exported = snapshot["bundles"]
    roots = {sid: _root_b64(s["root_pub"]) for sid, s in snapshot["served"].items()}
    parsed = {sid: json.loads(e["text"]) for sid, e in exported.items()}
    names = sorted(parsed)
    full = names[index % len(names)]
    rng = random.Random(f"bundles-{seed}-{index}")
    out = []
    for sid in names:
        others = {k: v for k, v in parsed.items() if k != sid}
        recipes = list(MUTATIONS)[1:]
        chosen = recipes if sid == full else sorted(rng.sample(recipes, SAMPLED))
        for name in ["as-exported", *chosen]:
            ctx = Context(sid, others, attacker, random.Random(f"{seed}-{index}-{sid}-{name}"), keys)
            text = exported[sid]["text"] if name == "as-exported" else MUTATIONS[name](parsed[sid], ctx)
            if text is None:
                continue
            out.append({"sovereign": sid, "mutation": name, "text": text,
                        "reference": bundle_verdict(text, roots)})
    return out


def run(seed: int, operations: int = 14, snapshots: int = 2) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="gm-bundles-") as tmp, reference_world(START) as world:
        scenario = BundleScenario(seed, world, Path(tmp))
        result = scenario.run(operations, snapshots)
        attacker = scenario.key("attacker-root", "rs-attacker")
        keys = {s.name: {"root": s.root, "na": s.na} for s in scenario.sovs}   # the NA key: the last one
    for index, snapshot in enumerate(result["snapshots"]):
        snapshot["bundle_files"] = mutate(seed, snapshot, index, attacker, keys)
        snapshot.pop("union_trust_paths")
    return result
