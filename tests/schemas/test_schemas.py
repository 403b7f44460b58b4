"""JSON Schemas under schemas/: well-formed, documented, resolvable offline, true to the reference.

Stage: structural validation, the first check the verifier runs on every document. These
tests pin what the verifier relies on: each schema accepts what Genesis Mesh really
produces (the files in ../shared/genesis-mesh, the samples in reference/, the interop corpus
in tests/interop/corpus, where it also agrees with the reference's own verdicts) and this
repository's documents, and refuses each hostile shape with the keyword (and, where
annotated, the x-handshake-code) that the verifier maps to a reason code. No dependency on
the publisher package, no network.
"""

from __future__ import annotations

import base64
import copy
import fnmatch
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

from tests.conftest import shared_dir   # the one lookup of the reference material

REPO = Path(__file__).resolve().parents[2]
SCHEMA_DIR = REPO / "schemas"
REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
ID_PREFIX = "https://handshake-schemas.invalid/v1/"
COMMON = f"{ID_PREFIX}common.schema.json"

DOCUMENT_KINDS = (
    "genesis-block", "key-succession-record", "key-history", "sovereign", "recognition-treaty",
    "recognition-treaties", "revocation-feed", "recognition-policy", "policy-manifest",
    "membership-attestation", "trust-bundle", "proof-bundle", "import-receipt", "roll-call",
    "coalition", "trust-lock", "root-rotation", "na-cosigners",
)
ALL_KINDS = ("common", *DOCUMENT_KINDS)

# Signed documents (strict profile) and Handshake's own files: additionalProperties false on
# every object, except the free-form members listed here (JSON pointers into the schema).
CLOSED_KINDS = (
    "genesis-block", "key-succession-record", "recognition-treaty", "revocation-feed",
    "policy-manifest", "membership-attestation", "roll-call", "coalition", "trust-lock",
    "root-rotation", "na-cosigners",
)
OPEN_MEMBERS = {
    ("recognition-treaty", "/properties/metadata"),
    ("recognition-treaty", "/properties/scope/properties/claims"),
    ("membership-attestation", "/properties/claims"),
    ("revocation-feed", "/properties/revocation_reasons"),
    ("trust-lock", "/properties/sovereigns"),
}
# Unsigned NA output and sovereign.json (RFC-001: unknown fields are ignored).
OPEN_KINDS = tuple(k for k in DOCUMENT_KINDS if k not in CLOSED_KINDS)

HANDSHAKE_CODES = {
    f"{COMMON}#/$defs/publicKey": "key.malformed",
    f"{COMMON}#/$defs/nullablePublicKey": "key.malformed",
    f"{COMMON}#/$defs/signatureValue": "sig.malformed",
}


# -- loading ---------------------------------------------------------------------------------


def _load_schemas() -> dict[str, dict[str, Any]]:
    return {
        path.name.removesuffix(".schema.json"): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SCHEMA_DIR.glob("*.schema.json"))
    }


def _refuse_retrieval(uri: str) -> Resource[Any]:
    raise AssertionError(f"schema resolution tried to fetch {uri!r}: every $ref must be local")


SCHEMAS = _load_schemas()
REGISTRY: Registry[Any] = Registry(retrieve=_refuse_retrieval).with_resources(  # type: ignore[call-arg]
    (schema["$id"], Resource.from_contents(schema)) for schema in SCHEMAS.values()
)


def validator_for(target: str) -> Draft202012Validator:
    """A validator for a document kind ("recognition-treaty") or an absolute schema URI."""
    uri = target if target.startswith(ID_PREFIX) else f"{ID_PREFIX}{target}.schema.json"
    return Draft202012Validator({"$ref": uri}, registry=REGISTRY)


def errors_of(target: str, instance: Any) -> list[ValidationError]:
    return list(validator_for(target).iter_errors(instance))


def code_of(error: ValidationError) -> str | None:
    """The x-handshake-code annotation on the subschema whose keyword failed, if any."""
    schema = error.schema
    return schema.get("x-handshake-code") if isinstance(schema, Mapping) else None


def describe(errors: list[ValidationError]) -> str:
    return "; ".join(f"{e.json_path} [{e.validator}] {e.message[:160]}" for e in errors)



def read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def read_key_file(path: Path) -> str:
    """Like the reference's load_public_key: drop # lines, strip and join the rest."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return "".join(line.strip() for line in lines if not line.startswith("#"))


def select(document: Any, pointer: str) -> Iterator[tuple[str, Any]]:
    """Resolve a JSON pointer in which '*' stands for every element of an array."""
    if not pointer:
        yield "", document
        return
    head, _, rest = pointer.lstrip("/").partition("/")
    rest = f"/{rest}" if rest else ""
    if head == "*":
        for index, item in enumerate(document):
            for sub, value in select(item, rest):
                yield f"/{index}{sub}", value
    else:
        key: Any = int(head) if isinstance(document, list) else head
        for sub, value in select(document[key], rest):
            yield f"/{head}{sub}", value


SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "dependentSchemas")
SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
SCHEMA_VALUES = ("items", "additionalProperties", "propertyNames", "contains", "not", "if", "then",
                 "else", "unevaluatedProperties", "unevaluatedItems")


def subschemas(schema: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every schema object in a schema, by keyword (never descends into examples or enums)."""
    if not isinstance(schema, dict):
        return
    yield pointer, schema
    for keyword in SCHEMA_MAPS:
        for name, sub in schema.get(keyword, {}).items():
            yield from subschemas(sub, f"{pointer}/{keyword}/{name}")
    for keyword in SCHEMA_LISTS:
        for index, sub in enumerate(schema.get(keyword, [])):
            yield from subschemas(sub, f"{pointer}/{keyword}/{index}")
    for keyword in SCHEMA_VALUES:
        if keyword in schema:
            yield from subschemas(schema[keyword], f"{pointer}/{keyword}")


# -- the schemas themselves -------------------------------------------------------------------


def test_schema_files_are_exactly_the_document_kinds() -> None:
    assert sorted(SCHEMAS) == sorted(ALL_KINDS)


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_schema_is_valid_draft_2020_12(kind: str) -> None:
    Draft202012Validator.check_schema(SCHEMAS[kind])


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_schema_header(kind: str) -> None:
    schema = SCHEMAS[kind]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"{ID_PREFIX}{kind}.schema.json"
    assert schema.get("title", "").strip()
    assert schema.get("description", "").strip()


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_property_and_definition_is_described(kind: str) -> None:
    undescribed = [
        f"{pointer}/{container}/{name}"
        for pointer, node in subschemas(SCHEMAS[kind])
        for container in ("properties", "$defs")
        if isinstance(node.get(container), dict)
        for name, sub in node[container].items()
        if not (isinstance(sub, dict) and str(sub.get("description", "")).strip())
    ]
    assert undescribed == []


@pytest.mark.parametrize("kind", ALL_KINDS)
def test_every_ref_is_absolute_or_local_and_resolves_offline(kind: str) -> None:
    schema = SCHEMAS[kind]
    resolver = REGISTRY.resolver(base_uri=schema["$id"])
    refs = [node["$ref"] for _, node in subschemas(schema) if "$ref" in node]
    for ref in refs:
        assert ref.startswith(("#", ID_PREFIX)), f"relative cross-file $ref {ref!r}"
        resolved = resolver.lookup(ref).contents
        assert isinstance(resolved, dict) and resolved, ref


def test_cross_file_refs_name_known_schemas() -> None:
    referenced = {
        node["$ref"].split("#")[0]
        for schema in SCHEMAS.values()
        for _, node in subschemas(schema)
        if "$ref" in node and not node["$ref"].startswith("#")
    }
    assert referenced <= {s["$id"] for s in SCHEMAS.values()}
    assert COMMON in referenced


@pytest.mark.parametrize("kind", CLOSED_KINDS)
def test_signed_and_own_documents_close_every_known_object(kind: str) -> None:
    open_objects = [
        pointer
        for pointer, node in subschemas(SCHEMAS[kind])
        if node.get("type") == "object" and node.get("additionalProperties") is not False
    ]
    assert sorted(open_objects) == sorted(p for k, p in OPEN_MEMBERS if k == kind)


@pytest.mark.parametrize("kind", OPEN_KINDS)
def test_unsigned_wrappers_stay_open(kind: str) -> None:
    assert SCHEMAS[kind]["additionalProperties"] is True


def test_reason_code_annotations() -> None:
    found = {
        f"{schema['$id']}#{pointer}": node["x-handshake-code"]
        for schema in SCHEMAS.values()
        for pointer, node in subschemas(schema)
        if "x-handshake-code" in node
    }
    assert found == HANDSHAKE_CODES


@pytest.mark.parametrize("kind", ["roll-call", "coalition", "trust-lock", "na-cosigners"])
def test_schema_examples_validate(kind: str) -> None:
    examples = SCHEMAS[kind]["examples"]
    assert examples
    for example in examples:
        assert errors_of(kind, example) == []


# -- real reference files ---------------------------------------------------------------------

# Every file under shared/genesis-mesh/real/, and what it is. None: not a Handshake document.
REAL_FILES: dict[str, str | None] = {
    "genesis/genesis.json": "genesis-block",
    "genesis/genesis.signed.json": "genesis-block",
    "official-operators/001-na/genesis.json": "genesis-block",
    "official-operators/001-na/genesis.signed.json": "genesis-block",
    "official-operators/amine-m6-na/genesis.json": "genesis-block",
    "official-operators/amine-m6-na/genesis.signed.json": "genesis-block",
    "official-operators/anonymous-na/genesis.json": "genesis-block",
    "official-operators/anonymous-na/genesis.signed.json": "genesis-block",
    "official-operators/miraos-na/genesis.json": "genesis-block",
    "official-operators/miraos-na/genesis.signed.json": "genesis-block",
    # A JoinCertificate: nodes check it against the CRL; Handshake publishes no node material.
    "official-operators/miraos-na/node.cert.json": None,
    "official-operators/miraos-na/policy.json": "policy-manifest",
    "official-operators/ons-a-na/genesis.json": "genesis-block",
    "official-operators/ons-a-na/genesis.signed.json": "genesis-block",
    "official-operators/usg-nb/trust-bundle.json": "trust-bundle",
    "supply-chain-trust-gate/maintainer-attestation.json": "membership-attestation",
    "supply-chain-trust-gate/recognition-treaty.json": "recognition-treaty",
    "supply-chain-trust-gate/revocation-feed.json": "revocation-feed",
    "supply-chain-trust-gate/treaty-issuer-public-key.txt": f"{COMMON}#/$defs/publicKey",
}

# Documents embedded in real files, validated on their own too: (file, pointer, schema).
BUNDLE = "official-operators/usg-nb/trust-bundle.json"
REAL_EMBEDDED = [
    (BUNDLE, "/genesis", "genesis-block"),
    (BUNDLE, "/sovereign_metadata", "sovereign"),
    (BUNDLE, "/revocation_feed/payload", "revocation-feed"),
    (BUNDLE, "/connectome/active_treaties/*", "recognition-treaty"),
    (BUNDLE, "/connectome/recognition_edges/*", f"{COMMON}#/$defs/recognitionEdge"),
    (BUNDLE, "/connectome/summary", f"{COMMON}#/$defs/connectomeSummary"),
]

# Conformance vectors (shared/genesis-mesh/conformance/) Handshake must pass.
CONFORMANCE = [
    ("treaties.json", "/vectors/*/input/treaty", "recognition-treaty"),
    ("treaties.json", "/vectors/*/input/issuer_public_keys/*", f"{COMMON}#/$defs/publicKey"),
    ("revocation.json", "/vectors/*/input/feed", "revocation-feed"),
    ("revocation.json", "/vectors/*/input/issuer_public_keys/*", f"{COMMON}#/$defs/publicKey"),
    ("signatures.json", "/vectors/*/input/public_key_b64", f"{COMMON}#/$defs/publicKey"),
    ("signatures.json", "/vectors/0/expected/signature_b64", f"{COMMON}#/$defs/signatureValue"),
    ("signatures.json", "/vectors/1/input/signature_b64", f"{COMMON}#/$defs/signatureValue"),
]

# Samples the reference NA 1.8.1 served (regenerate with make_reference_samples.py).
REFERENCE_SAMPLES = {
    "genesis.json": "genesis-block",
    "import-receipt.json": "import-receipt",
    "key-history.json": "key-history",
    "policy-manifest.json": "policy-manifest",
    "proof-bundle.json": "proof-bundle",
    "recognition-policy.json": "recognition-policy",
    "recognition-treaties.json": "recognition-treaties",
    "revocation-feed.json": "revocation-feed",
    "sovereign-served.json": "sovereign",
    "trust-bundle.json": "trust-bundle",
}


def test_every_real_file_is_classified() -> None:
    real = shared_dir() / "genesis-mesh" / "real"
    present = sorted(str(p.relative_to(real)) for p in real.rglob("*") if p.is_file())
    assert present == sorted(REAL_FILES)


@pytest.mark.parametrize(
    "relpath, target", [(p, t) for p, t in REAL_FILES.items() if t is not None], ids=str
)
def test_real_file_validates(relpath: str, target: str) -> None:
    path = shared_dir() / "genesis-mesh" / "real" / relpath
    instance = read_key_file(path) if path.suffix == ".txt" else read_json(path)
    errors = errors_of(target, instance)
    assert errors == [], describe(errors)


@pytest.mark.parametrize(
    "relpath, pointer, target", REAL_EMBEDDED, ids=[p for _, p, _ in REAL_EMBEDDED]
)
def test_real_embedded_document_validates(relpath: str, pointer: str, target: str) -> None:
    document = read_json(shared_dir() / "genesis-mesh" / "real" / relpath)
    found = list(select(document, pointer))
    assert found, f"nothing at {pointer}"
    for at, instance in found:
        errors = errors_of(target, instance)
        assert errors == [], f"{at}: {describe(errors)}"


@pytest.mark.parametrize(
    "name, pointer, target", CONFORMANCE, ids=[f"{n}:{p}" for n, p, _ in CONFORMANCE]
)
def test_conformance_vector_validates(name: str, pointer: str, target: str) -> None:
    document = read_json(shared_dir() / "genesis-mesh" / "conformance" / name)
    found = list(select(document, pointer))
    assert found, f"nothing at {pointer}"
    for at, instance in found:
        errors = errors_of(target, instance)
        assert errors == [], f"{at}: {describe(errors)}"


def test_every_reference_sample_is_classified() -> None:
    assert sorted(p.name for p in REFERENCE_DIR.glob("*.json")) == sorted(REFERENCE_SAMPLES)


@pytest.mark.parametrize("name, kind", sorted(REFERENCE_SAMPLES.items()), ids=str)
def test_reference_sample_validates(name: str, kind: str) -> None:
    errors = errors_of(kind, read_json(REFERENCE_DIR / name))
    assert errors == [], describe(errors)


# -- the interop corpus (tests/interop/corpus) and the repository's own documents -------------

INTEROP = REPO / "tests" / "interop" / "corpus"
INTEROP_KINDS = {
    "genesis": "genesis-block", "key-history": "key-history", "treaty": "recognition-treaty",
    "feed": "revocation-feed", "attestation": "membership-attestation", "policy": "policy-manifest",
    "trust-bundle": "trust-bundle",
}
# Corpus documents the schemas refuse, and the keywords they fail. Every other one must pass.
INTEROP_REFUSALS = {
    "documents/feed-sequence-string-resigned.json": {"type"},
    "documents/feed-sequence-string.json": {"type"},
    "documents/feed-signed-unknown-field.json": {"additionalProperties"},
    "documents/genesis-na-key-31-bytes.json": {"pattern"},
    "documents/genesis-signed-unknown-field.json": {"additionalProperties"},
    "documents/key-history-succession-signed-unknown-field.json": {"additionalProperties"},
    "documents/policy-unknown-field-after-signing.json": {"additionalProperties"},
    "documents/treaty-signature-base64url.json": {"pattern"},
    "documents/treaty-signature-unpadded.json": {"minLength", "pattern"},
    "documents/treaty-signed-unknown-field.json": {"additionalProperties"},
    "documents/treaty-subject-key-31-bytes.json": {"pattern"},
    "documents/treaty-unknown-field-after-signing.json": {"additionalProperties"},
    "documents/trust-bundle-missing-connectome.json": {"required"},
    "documents/trust-bundle-unknown-version.json": {"const"},
}
# Of those, the ones the reference's strict verifier accepts: Handshake is stricter on purpose
# (a key that is not 32 bytes verifies nothing; the reference has no strict path for policy).
STRICTER_THAN_REFERENCE = {
    "documents/genesis-na-key-31-bytes.json",
    "documents/treaty-subject-key-31-bytes.json",
    "documents/policy-unknown-field-after-signing.json",
}

# Where each document lives in a Handshake repository (first match wins; None: not ours).
ROW = f"{ID_PREFIX}recognition-treaties.schema.json#/$defs/row"
REPO_LAYOUT: list[tuple[str, str | None]] = [
    ("coalition.json", "coalition"),
    ("trust.lock", "trust-lock"),
    ("sovereigns/*/genesis.signed.json", "genesis-block"),
    ("sovereigns/*/key-history.json", "key-history"),
    ("sovereigns/*/sovereign.json", "sovereign"),
    ("sovereigns/*/recognition-treaties.json", "recognition-treaties"),
    ("sovereigns/*/recognition-policy.json", "recognition-policy"),
    ("sovereigns/*/revocation-feed.json", "revocation-feed"),
    ("sovereigns/*/policy.json", "policy-manifest"),
    ("sovereigns/*/roll-call.json", "roll-call"),
    ("sovereigns/*/treaties/*.json", "recognition-treaty"),
    ("sovereigns/*/keys/*.pub", f"{COMMON}#/$defs/publicKey"),
    ("served/*/genesis.json", "genesis-block"),
    ("served/*/treaty-rows/*.json", ROW),
    ("served/trust-bundle-*.export.json", None),  # the export CLI's stdout: hash, summary, report
    ("served/trust-bundle-*.json", "trust-bundle"),
    ("served/*/connectome.json", None),  # RFC-006 views: rendered, not validated as documents
    ("served/*/recognition-graph.json", None),
    ("served/*/atlas.json", None),
]


def layout_target(relpath: str) -> tuple[bool, str | None]:
    """(matched, schema) for a repository-relative path, by the first REPO_LAYOUT pattern."""
    for pattern, target in REPO_LAYOUT:
        if fnmatch.fnmatchcase(relpath, pattern):
            return True, target
    return False, None


def validate_files(root: Path, files: list[Path], *, require_layout: bool) -> list[str]:
    """Problems found validating each file (under root) by REPO_LAYOUT."""
    problems = []
    for path in sorted(files):
        relpath = path.relative_to(root).as_posix()
        matched, target = layout_target(relpath)
        if not matched and require_layout:
            problems.append(f"{relpath}: not in REPO_LAYOUT")
        if target is None:
            continue
        instance = read_key_file(path) if path.suffix == ".pub" else read_json(path)
        problems += [f"{relpath}: {describe([e])}" for e in errors_of(target, instance)]
    return problems


def files_under(path: Path) -> list[Path]:
    return [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else []


def interop_expected() -> dict[str, Any]:
    path = INTEROP / "expected.json"
    if not path.is_file():
        pytest.fail(f"interop corpus not found at {path}", pytrace=False)
    documents: dict[str, Any] = read_json(path)["documents"]
    return documents


def test_interop_corpus_verdicts_agree_with_schemas() -> None:
    expected = interop_expected()
    assert set(INTEROP_REFUSALS) <= set(expected)
    disagreements = []
    for name, entry in sorted(expected.items()):
        errors = errors_of(INTEROP_KINDS[entry["kind"]], read_json(INTEROP / name))
        keywords = {e.validator for e in errors}
        if keywords != INTEROP_REFUSALS.get(name, set()):
            disagreements.append(f"{name}: {describe(errors) or 'accepted'}")
        reference_accepts = entry["strict"]["accepted"]
        if reference_accepts and errors and name not in STRICTER_THAN_REFERENCE:
            disagreements.append(f"{name}: the reference accepts it, the schema does not")
        if entry["strict"]["reason"] == "unknown_field" and keywords != {"additionalProperties"}:
            disagreements.append(f"{name}: unknown_field must fail additionalProperties only")
    assert disagreements == []


def test_interop_corpus_repository_validates() -> None:
    interop_expected()
    root = INTEROP / "repo"
    assert validate_files(root, files_under(root), require_layout=True) == []


def test_this_repository_documents_validate() -> None:
    """coalition.json, trust.lock and sovereigns/ of this checkout (files the layout does not
    name are left to their owners)."""
    files = [REPO / name for name in ("coalition.json", "trust.lock") if (REPO / name).is_file()]
    files += files_under(REPO / "sovereigns")
    assert validate_files(REPO, files, require_layout=False) == []


# -- builders: minimal complete documents (format-valid keys and signatures, not signed) -------

KEY_A = "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="  # conformance seed "a"
KEY_B = "Kay64UG8yvCyLhqU000LxzYeUm0L/hLIl5S8kyKWbdc="  # conformance seed "b"
SIG = "rWWHRZUxF2dfTddgMj6cZn2Y/S8UhxoHFhVRaNH25F2TM/MTdCn+VL5Hm2HIr989+7qvPcJ4ZDoU7DUnf4sFBg=="
T0, T1 = "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"
SIGNATURES = [{"key_id": "na-1", "sig": SIG}]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def make_genesis() -> dict[str, Any]:
    return {
        "network_name": "ALPHA-NA", "network_version": "v0.1", "root_public_key": KEY_A,
        "network_authority": {"public_key": KEY_B, "valid_from": T0, "valid_to": T1},
        "allowed_crypto_suites": ["ed25519", "x25519"], "allowed_transports": ["quic", "wireguard"],
        "policy_manifest": {"hash": "sha256:placeholder", "url": None}, "bootstrap_anchors": [],
        "signatures": [{"key_id": "rs-local", "sig": SIG}],
    }


def make_succession() -> dict[str, Any]:
    return {
        "succession_id": "5f1c0f36-0000-4000-8000-000000000001", "sovereign_id": "ALPHA-NA",
        "key_sequence": 2, "previous_key_id": "na-1", "previous_public_key": KEY_B,
        "previous_succession_digest": "ab" * 32, "new_key_id": "na-2", "new_public_key": KEY_A,
        "effective_at": T0, "new_valid_to": T1, "issued_at": T0, "signatures": SIGNATURES * 3,
    }


def make_treaty() -> dict[str, Any]:
    return {
        "treaty_id": "t-1", "issuer_sovereign_id": "ALPHA-NA", "subject_sovereign_id": "BETA-NA",
        "subject_public_keys": [KEY_B],
        "scope": {"allowed_roles": ["role:operator"], "accepted_statuses": ["active"],
                  "claims": {}},
        "status": "active", "issued_at": T0, "valid_from": T0, "expires_at": T1,
        "issued_by": "na-1", "metadata": {}, "signatures": SIGNATURES,
    }


def make_feed() -> dict[str, Any]:
    return {
        "feed_id": "f-1", "issuer_sovereign_id": "ALPHA-NA", "sequence": 1, "issued_at": T0,
        "revoked_attestation_ids": ["a-1"], "revocation_reasons": {"a-1": "member_departed"},
        "issued_by": "na-1", "signatures": SIGNATURES,
    }


def make_attestation() -> dict[str, Any]:
    return {
        "attestation_id": "a-1", "issuer_sovereign_id": "BETA-NA", "subject_id": "alice",
        "subject_public_key": None, "roles": ["role:operator"], "status": "active",
        "issued_at": T0, "valid_from": T0, "expires_at": T1, "issued_by": "na-1", "claims": {},
        "signatures": SIGNATURES,
    }


def make_policy_manifest() -> dict[str, Any]:
    return {
        "policy_id": "policy-ALPHA-NA-v0.1", "issued_at": T0, "issued_by": "na-1",
        "min_client_version": "0.1.0", "allowed_ports": [443, 8443], "allowed_services": [],
        "routing": {"preferred_transports": ["quic"], "max_hops": 6}, "signatures": SIGNATURES,
    }


def make_roll_call() -> dict[str, Any]:
    return {
        "sovereign_id": "ALPHA-NA", "custody_model": "customer-held",
        "parties": [
            {"name": "Alpha Co-op", "roles": ["operator"],
             "holds_keys": ["root", "network-authority", "operator"],
             "contact": "mailto:ops@alpha.example", "url": "https://alpha.example"},
            {"name": "Helper Ltd", "roles": ["managing-partner", "auditor"], "holds_keys": [],
             "assistance_notes": ["Observed the key ceremony; handled no private key."]},
        ],
        "issued_at": T0, "issued_by": "na-1", "signature_threshold": 1, "signatures": SIGNATURES,
    }


def make_coalition() -> dict[str, Any]:
    return {
        "name": "Alpha Coalition", "operator": {"name": "Alpha Co-op"},
        "members": [{"sovereign_id": "ALPHA-NA", "genesis_sha256": "sha256:" + "0" * 64}],
        "notice_commitments": [{"change": "root key rotation", "notice_days": 30}],
        "surfaces": {
            "published": ["genesis"],
            "not_published": [{"surface": "recognition-policy", "reason": "local posture"}],
        },
    }


def make_trust_lock() -> dict[str, Any]:
    return {"lock_version": 1, "sovereigns": {"ALPHA-NA": {
        "root_public_key": KEY_A, "first_seen_commit": "0" * 40, "first_seen_at": T0}}}


def make_root_rotation() -> dict[str, Any]:
    return {"sovereign_id": "ALPHA-NA", "sequence": 1, "previous_root_public_key": KEY_A,
            "new_root_public_key": KEY_B, "effective_at": T1, "issued_at": T0,
            "reason": "scheduled rotation", "signatures": SIGNATURES}


def make_cosigners() -> dict[str, Any]:
    return {"sovereign_id": "ALPHA-NA", "issued_at": T0, "issued_by": "rs-alpha",
            "cosigners": [{"key_id": "na-board", "public_key": KEY_A, "valid_from": T0,
                           "valid_to": "2027-01-01T00:00:00Z"}],
            "signatures": [{"key_id": "rs-alpha", "sig": SIG}]}


def sample(name: str) -> Callable[[], Any]:
    return lambda: read_json(REFERENCE_DIR / name)


BASES: dict[str, Callable[[], Any]] = {
    "genesis-block": make_genesis,
    "key-succession-record": make_succession,
    "key-history": sample("key-history.json"),
    "sovereign": sample("sovereign-served.json"),
    "recognition-treaty": make_treaty,
    "recognition-treaties": sample("recognition-treaties.json"),
    "revocation-feed": make_feed,
    "recognition-policy": sample("recognition-policy.json"),
    "policy-manifest": make_policy_manifest,
    "membership-attestation": make_attestation,
    "trust-bundle": sample("trust-bundle.json"),
    "proof-bundle": sample("proof-bundle.json"),
    "import-receipt": sample("import-receipt.json"),
    "roll-call": make_roll_call,
    "coalition": make_coalition,
    "trust-lock": make_trust_lock,
    "root-rotation": make_root_rotation,
    "na-cosigners": make_cosigners,
}

DELETE = object()


def edit(document: Any, changes: Mapping[str, Any]) -> Any:
    """A deep copy of document with each pointer set to its value, or removed for DELETE."""
    result = copy.deepcopy(document)
    for pointer, value in changes.items():
        *parents, last = pointer.lstrip("/").split("/")
        target = result
        for part in parents:
            target = target[int(part) if isinstance(target, list) else part]
        if value is DELETE:
            del target[int(last) if isinstance(target, list) else last]
        elif isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value
    return result


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_base_document_validates(kind: str) -> None:
    errors = errors_of(kind, BASES[kind]())
    assert errors == [], describe(errors)


# -- documents the schema must accept (variants that look wrong but are not its business) ------


def ok(case_id: str, kind: str, changes: Mapping[str, Any]) -> Any:
    """A base document of kind, edited, that the schema must accept."""
    return pytest.param(kind, changes, id=case_id)


VALID_VARIANTS = [
    ok("unsigned-genesis-is-a-verifier-finding", "genesis-block", {"/signatures": []}),
    ok("naive-timestamp-as-in-the-reference-example", "genesis-block",
        {"/network_authority/valid_from": "2026-01-21T16:44:37.925424"}),
    ok("genesis-omitted-defaults-are-non-canonical", "genesis-block",
        {"/allowed_transports": DELETE, "/bootstrap_anchors": DELETE}),
    ok("first-succession", "key-succession-record", {"/previous_succession_digest": DELETE}),
    ok("null-digest-means-absent", "key-succession-record", {"/previous_succession_digest": None}),
    ok("evidence-only", "key-history", {"/keys": DELETE, "/signing_key_sequence": DELETE}),
    ok("unsigned-wrapper-field", "key-history", {"/served_by": "na-2"}),
    ok("rfc-001-form-with-open-metadata", "sovereign",
        {"/network_authority_public_key": None, "/endpoints": [],
         "/metadata": {"display_name": "Alpha", "anything": {"x": [1]}}}),
    ok("rfc-001-unknown-fields-ignored", "sovereign", {"/future_field": {"x": 1}}),
    ok("open-metadata-and-claims", "recognition-treaty",
        {"/metadata": {"renew_of": "t-0", "deep": {"a": [1, {"b": None}]}},
         "/scope/claims": {"any": "thing"}}),
    ok("hostile-identifier-content-is-the-verifiers-job", "recognition-treaty",
        {"/issuer_sovereign_id": "A\u202eLPHA\x00"}),
    ok("treaty-omitted-defaults-are-non-canonical", "recognition-treaty",
        {"/scope": DELETE, "/status": DELETE, "/metadata": DELETE}),
    ok("row-0.52", "recognition-treaties",
        {"/recognition_treaties/0/reissued_from": DELETE,
         "/recognition_treaties/0/superseded_by": DELETE}),
    ok("row-extra-field", "recognition-treaties", {"/recognition_treaties/0/lineage_id": "l-1"}),
    ok("with-grant-ids", "revocation-feed", {"/revoked_grant_ids": ["g-1"]}),
    ok("null-grant-ids-mean-absent", "revocation-feed", {"/revoked_grant_ids": None}),
    ok("order-uniqueness-and-reason-keys-are-checked-in-code", "revocation-feed",
        {"/revoked_attestation_ids": ["b", "a", "a"],
         "/revocation_reasons": {"zz-not-listed": "x"}}),
    ok("json-2.0-is-an-integer-to-json-schema", "revocation-feed", {"/sequence": 2.0}),
    ok("subject-key-is-opaque", "membership-attestation",
        {"/subject_public_key": "YWxpY2UtZGVtby1wdWJsaWMta2V5"}),
    ok("policy-section-ok", "trust-bundle",
        {"/recognition_policy": {"status": "ok",
                                 "payload": read_json(REFERENCE_DIR / "recognition-policy.json")}}),
    ok("feed-section-unavailable", "trust-bundle",
        {"/revocation_feed": {"status": "unavailable", "reason": "timeout"}}),
    ok("feed-section-skipped", "trust-bundle", {"/revocation_feed": {"status": "skipped"}}),
    ok("managing-partner-custody-rule-is-checked-in-code", "roll-call",
        {"/parties/1/holds_keys": ["root", "operator"]}),
    ok("unknown-role-name", "roll-call", {"/parties/0/roles": ["operator", "community-liaison"]}),
    ok("threshold-optional", "roll-call",
        {"/signature_threshold": DELETE, "/custody_model": "split-operation"}),
    ok("duplicate-members-are-checked-in-code", "coalition",
        {"/members": [{"sovereign_id": "A"}, {"sovereign_id": "A"}]}),
    ok("new-coalition", "coalition",
        {"/members": [], "/notice_commitments": DELETE, "/surfaces": DELETE}),
    ok("pinned-outside-git", "trust-lock",
        {"/sovereigns/ALPHA-NA/first_seen_commit": None,
         "/sovereigns/ALPHA-NA/first_seen_at": None}),
    ok("empty-lock", "trust-lock", {"/sovereigns": {}}),
]


@pytest.mark.parametrize("kind, changes", VALID_VARIANTS)
def test_schema_accepts(kind: str, changes: Mapping[str, Any]) -> None:
    errors = errors_of(kind, edit(BASES[kind](), changes))
    assert errors == [], describe(errors)


# -- documents the schema must refuse, and how -------------------------------------------------

KEY_31 = b64(bytes(range(31)))
KEY_33 = b64(bytes(range(33)))
KEY_URLSAFE = KEY_A.replace("/", "_")
KEY_LOOSE_BITS = KEY_A[:42] + "h="  # decodes to the same 32 bytes as ...g=: a second spelling
SIG_URLSAFE = SIG.replace("/", "_").replace("+", "-")
SIG_UNPADDED = SIG.rstrip("=")
KEY_MALFORMED, SIG_MALFORMED = "key.malformed", "sig.malformed"



def bad(
    case_id: str, kind: str, changes: Mapping[str, Any], keywords: str | set[str],
    code: str | None = None,
) -> Any:
    """A base document of kind, edited, that the schema must refuse: every error comes from one
    of keywords, and carries code as x-handshake-code on its failing subschema (None: no code)."""
    expected = {keywords} if isinstance(keywords, str) else keywords
    return pytest.param(kind, changes, expected, code, id=case_id)


INVALID_CASES = [
    # genesis-block
    bad("genesis-unknown-field", "genesis-block", {"/comment": "x"}, "additionalProperties"),
    bad("genesis-unknown-field-in-network-authority", "genesis-block",
        {"/network_authority/key_id": "na"}, "additionalProperties"),
    bad("root-key-31-bytes", "genesis-block",
        {"/root_public_key": KEY_31}, "pattern", KEY_MALFORMED),
    bad("root-key-33-bytes", "genesis-block",
        {"/root_public_key": KEY_33}, "pattern", KEY_MALFORMED),
    bad("root-key-base64url", "genesis-block",
        {"/root_public_key": KEY_URLSAFE}, "pattern", KEY_MALFORMED),
    bad("root-key-non-canonical-base64", "genesis-block",
        {"/root_public_key": KEY_LOOSE_BITS}, "pattern", KEY_MALFORMED),
    bad("root-key-trailing-newline", "genesis-block",
        {"/root_public_key": KEY_A + "\n"}, "maxLength", KEY_MALFORMED),
    bad("na-key-not-a-string", "genesis-block",
        {"/network_authority/public_key": 12}, "type", KEY_MALFORMED),
    bad("missing-policy-manifest", "genesis-block", {"/policy_manifest": DELETE}, "required"),
    bad("policy-url-not-string", "genesis-block", {"/policy_manifest/url": 5}, "type"),
    bad("sig-base64url", "genesis-block",
        {"/signatures/0/sig": SIG_URLSAFE}, "pattern", SIG_MALFORMED),
    bad("sig-unpadded", "genesis-block",
        {"/signatures/0/sig": SIG_UNPADDED}, {"minLength", "pattern"}, SIG_MALFORMED),
    bad("rfc-example-signature-member", "genesis-block",
        {"/signatures/0": {"key_id": "rs", "signature": SIG}},
        {"additionalProperties", "required"}),
    bad("17-signatures", "genesis-block", {"/signatures": SIGNATURES * 17}, "maxItems"),
    bad("timestamp-not-iso", "genesis-block",
        {"/network_authority/valid_from": "06/01/2026"}, "pattern"),
    bad("timestamp-unix-seconds", "genesis-block",
        {"/network_authority/valid_from": 1780000000}, "type"),
    bad("timestamp-trailing-newline", "genesis-block",
        {"/network_authority/valid_from": T0 + "\n"}, "pattern"),
    bad("timestamp-fullwidth-digits", "genesis-block",
        {"/network_authority/valid_from": "\uff12\uff10\uff12\uff16-01-01T00:00Z"}, "pattern"),
    bad("anchor-unknown-field", "genesis-block",
        {"/bootstrap_anchors": [{"id": "a", "endpoint": "h:1", "weight": 1}]},
        "additionalProperties"),
    # key-succession-record
    bad("succession-sequence-1", "key-succession-record", {"/key_sequence": 1}, "minimum"),
    bad("succession-sequence-string", "key-succession-record", {"/key_sequence": "2"}, "type"),
    bad("succession-digest-number", "key-succession-record",
        {"/previous_succession_digest": 0}, "type"),
    bad("succession-digest-uppercase", "key-succession-record",
        {"/previous_succession_digest": "AB" * 32}, "pattern"),
    bad("succession-key-id-129", "key-succession-record", {"/new_key_id": "k" * 129}, "maxLength"),
    bad("succession-new-key-31-bytes", "key-succession-record",
        {"/new_public_key": KEY_31}, "pattern", KEY_MALFORMED),
    bad("succession-unknown-field", "key-succession-record",
        {"/recorded_by": "op"}, "additionalProperties"),
    bad("succession-missing-effective-at", "key-succession-record",
        {"/effective_at": DELETE}, "required"),
    # key-history
    bad("history-missing-successions", "key-history", {"/successions": DELETE}, "required"),
    bad("history-genesis-unknown-field", "key-history",
        {"/genesis/extra": 1}, "additionalProperties"),
    bad("history-succession-string-sequence", "key-history",
        {"/successions/0/key_sequence": "2"}, "type"),
    bad("history-hint-key-base64url", "key-history",
        {"/keys/0/public_key": KEY_URLSAFE}, "pattern", KEY_MALFORMED),
    # sovereign
    bad("sovereign-missing-root", "sovereign", {"/root_public_key": DELETE}, "required"),
    bad("sovereign-root-31-bytes", "sovereign",
        {"/root_public_key": KEY_31}, "pattern", KEY_MALFORMED),
    bad("sovereign-na-key-33-bytes", "sovereign",
        {"/network_authority_public_key": KEY_33}, "pattern", KEY_MALFORMED),
    bad("sovereign-website-javascript", "sovereign",
        {"/metadata": {"website": "javascript:alert(1)"}}, "pattern"),
    bad("sovereign-endpoints-not-array", "sovereign",
        {"/endpoints": "https://na.example.org"}, "type"),
    bad("sovereign-surface-not-string", "sovereign", {"/supported_surfaces/genesis": 7}, "type"),
    # recognition-treaty
    bad("treaty-unknown-field", "recognition-treaty", {"/note": "x"}, "additionalProperties"),
    bad("treaty-unknown-scope-field", "recognition-treaty",
        {"/scope/max_depth": 2}, "additionalProperties"),
    bad("treaty-no-subject-key", "recognition-treaty", {"/subject_public_keys": []}, "minItems"),
    bad("treaty-65-subject-keys", "recognition-treaty",
        {"/subject_public_keys": [KEY_B] * 65}, "maxItems"),
    bad("treaty-subject-key-31-bytes", "recognition-treaty",
        {"/subject_public_keys/0": KEY_31}, "pattern", KEY_MALFORMED),
    bad("treaty-status-unknown", "recognition-treaty", {"/status": "expired"}, "enum"),
    bad("treaty-accepted-status-unknown", "recognition-treaty",
        {"/scope/accepted_statuses": ["pending"]}, "enum"),
    bad("treaty-empty-issuer", "recognition-treaty", {"/issuer_sovereign_id": ""}, "minLength"),
    bad("treaty-issuer-257-chars", "recognition-treaty",
        {"/issuer_sovereign_id": "x" * 257}, "maxLength"),
    bad("treaty-metadata-not-object", "recognition-treaty", {"/metadata": []}, "type"),
    bad("treaty-missing-issued-by", "recognition-treaty", {"/issued_by": DELETE}, "required"),
    bad("treaty-date-only", "recognition-treaty", {"/expires_at": "2027-01-01"}, "pattern"),
    # recognition-treaties
    bad("rows-treaty-unknown-field", "recognition-treaties",
        {"/recognition_treaties/0/treaty/note": "x"}, "additionalProperties"),
    bad("rows-count-string", "recognition-treaties", {"/count": "4"}, "type"),
    bad("rows-lifecycle-state-unknown", "recognition-treaties",
        {"/recognition_treaties/0/lifecycle/state": "suspended"}, "enum"),
    bad("rows-missing-treaty", "recognition-treaties",
        {"/recognition_treaties/0/treaty": DELETE}, "required"),
    # revocation-feed
    bad("feed-string-sequence", "revocation-feed", {"/sequence": "2"}, "type"),
    bad("feed-negative-sequence", "revocation-feed", {"/sequence": -1}, "minimum"),
    bad("feed-boolean-sequence", "revocation-feed", {"/sequence": True}, "type"),
    bad("feed-unknown-field", "revocation-feed", {"/note": "x"}, "additionalProperties"),
    bad("feed-reason-not-string", "revocation-feed", {"/revocation_reasons": {"a-1": 3}}, "type"),
    bad("feed-grant-ids-string", "revocation-feed", {"/revoked_grant_ids": "g-1"}, "type"),
    bad("feed-empty-id", "revocation-feed", {"/revoked_attestation_ids": [""]}, "minLength"),
    bad("feed-missing-issued-by", "revocation-feed", {"/issued_by": DELETE}, "required"),
    # recognition-policy
    bad("policy-missing-local-id", "recognition-policy",
        {"/local_sovereign_id": DELETE}, "required"),
    bad("policy-issuer-without-keys", "recognition-policy",
        {"/recognized_issuers/0/public_keys": []}, "minItems"),
    bad("policy-issuer-key-base64url", "recognition-policy",
        {"/recognized_issuers/0/public_keys/0": KEY_URLSAFE}, "pattern", KEY_MALFORMED),
    # policy-manifest
    bad("manifest-port-0", "policy-manifest", {"/allowed_ports/0": 0}, "minimum"),
    bad("manifest-port-string", "policy-manifest", {"/allowed_ports/0": "443"}, "type"),
    bad("manifest-unknown-field", "policy-manifest", {"/note": "x"}, "additionalProperties"),
    bad("manifest-unknown-routing-field", "policy-manifest",
        {"/routing/mode": "mesh"}, "additionalProperties"),
    bad("manifest-missing-min-client-version", "policy-manifest",
        {"/min_client_version": DELETE}, "required"),
    # membership-attestation
    bad("attestation-unknown-field", "membership-attestation",
        {"/note": "x"}, "additionalProperties"),
    bad("attestation-roles-not-array", "membership-attestation",
        {"/roles": "role:operator"}, "type"),
    bad("attestation-status-unknown", "membership-attestation", {"/status": "paused"}, "enum"),
    bad("attestation-claims-not-object", "membership-attestation", {"/claims": "x"}, "type"),
    # trust-bundle
    bad("bundle-version-v2", "trust-bundle", {"/bundle_version": "v2"}, "const"),
    bad("bundle-type-wrong", "trust-bundle", {"/bundle_type": "trust-bundle"}, "const"),
    bad("bundle-missing-connectome", "trust-bundle", {"/connectome": DELETE}, "required"),
    bad("bundle-feed-ok-without-payload", "trust-bundle",
        {"/revocation_feed/payload": DELETE}, "required"),
    bad("bundle-feed-payload-unknown-field", "trust-bundle",
        {"/revocation_feed/payload/note": "x"}, "additionalProperties"),
    bad("bundle-section-status-unknown", "trust-bundle",
        {"/recognition_policy/status": "missing"}, "enum"),
    bad("bundle-genesis-root-31-bytes", "trust-bundle",
        {"/genesis/root_public_key": KEY_31}, "pattern", KEY_MALFORMED),
    bad("bundle-active-treaty-unknown-field", "trust-bundle",
        {"/connectome/active_treaties/0/note": "x"}, "additionalProperties"),
    bad("bundle-edge-without-lifecycle", "trust-bundle",
        {"/connectome/recognition_edges/0/lifecycle_state": DELETE}, "required"),
    # import-receipt
    bad("receipt-trust-granted", "import-receipt", {"/trust_granted": True}, "const"),
    bad("receipt-workflow-wrong", "import-receipt", {"/workflow": "trust-bundle-export"}, "const"),
    bad("receipt-hash-unprefixed", "import-receipt",
        {"/bundle_hash": "3a" * 32}, {"minLength", "pattern"}),
    bad("receipt-full-digest-as-fingerprint", "import-receipt",
        {"/summary/na_public_key_fingerprint": "sha256:" + "a" * 64}, {"maxLength", "pattern"}),
    # proof-bundle
    bad("proof-type-wrong", "proof-bundle", {"/proof": "remote-proof"}, "const"),
    bad("proof-operator-type-unknown", "proof-bundle",
        {"/operators/issuer/operator_type": "partner"}, "enum"),
    bad("proof-missing-trust-path", "proof-bundle", {"/trust_path": DELETE}, "required"),
    bad("proof-whole-key-instead-of-prefix", "proof-bundle",
        {"/issuer/na_public_key_prefix": KEY_A}, {"maxLength", "pattern"}),
    bad("proof-verdict-string", "proof-bundle", {"/post_revocation/accepted": "false"}, "type"),
    # roll-call
    bad("rollcall-unknown-field", "roll-call", {"/note": "x"}, "additionalProperties"),
    bad("rollcall-party-unknown-field", "roll-call",
        {"/parties/0/phone": "+1"}, "additionalProperties"),
    bad("rollcall-bad-custody-model", "roll-call", {"/custody_model": "self-hosted"}, "enum"),
    bad("rollcall-managing-partner-role-pattern", "roll-call",
        {"/parties/1/roles/0": "Managing_Partner"}, "pattern"),
    bad("rollcall-role-with-space", "roll-call",
        {"/parties/1/roles/0": "managing partner"}, "pattern"),
    bad("rollcall-role-trailing-newline", "roll-call",
        {"/parties/1/roles/1": "auditor\n"}, "pattern"),
    bad("rollcall-role-65-chars", "roll-call",
        {"/parties/1/roles/0": "r" * 65}, {"maxLength", "pattern"}),
    bad("rollcall-duplicate-roles", "roll-call",
        {"/parties/1/roles": ["auditor", "auditor"]}, "uniqueItems"),
    bad("rollcall-17-roles", "roll-call",
        {"/parties/1/roles": [f"r{i}" for i in range(17)]}, "maxItems"),
    bad("rollcall-party-without-role", "roll-call", {"/parties/1/roles": []}, "minItems"),
    bad("rollcall-unknown-key-role", "roll-call", {"/parties/1/holds_keys": ["node"]}, "enum"),
    bad("rollcall-duplicate-held-key", "roll-call",
        {"/parties/1/holds_keys": ["root", "root"]}, "uniqueItems"),
    bad("rollcall-holds-keys-missing", "roll-call", {"/parties/1/holds_keys": DELETE}, "required"),
    bad("rollcall-no-parties", "roll-call", {"/parties": []}, "minItems"),
    bad("rollcall-name-201-chars", "roll-call", {"/parties/0/name": "n" * 201}, "maxLength"),
    bad("rollcall-threshold-0", "roll-call", {"/signature_threshold": 0}, "minimum"),
    bad("rollcall-threshold-17", "roll-call", {"/signature_threshold": 17}, "maximum"),
    bad("rollcall-threshold-string", "roll-call", {"/signature_threshold": "2"}, "type"),
    bad("rollcall-contact-javascript", "roll-call",
        {"/parties/0/contact": "javascript:alert(1)"}, "pattern"),
    bad("rollcall-url-data", "roll-call", {"/parties/0/url": "data:text/html,x"}, "pattern"),
    bad("rollcall-missing-signatures", "roll-call", {"/signatures": DELETE}, "required"),
    bad("rollcall-sig-unpadded", "roll-call",
        {"/signatures/0/sig": SIG_UNPADDED}, {"minLength", "pattern"}, SIG_MALFORMED),
    bad("rollcall-issued-at-not-iso", "roll-call", {"/issued_at": "yesterday"}, "pattern"),
    # coalition
    bad("coalition-unknown-field", "coalition", {"/note": "x"}, "additionalProperties"),
    bad("coalition-member-unknown-field", "coalition",
        {"/members/0/root_public_key": KEY_A}, "additionalProperties"),
    bad("coalition-operator-unknown-field", "coalition",
        {"/operator/email": "a@b"}, "additionalProperties"),
    bad("coalition-missing-members", "coalition", {"/members": DELETE}, "required"),
    bad("coalition-member-without-id", "coalition",
        {"/members/0/sovereign_id": DELETE}, "required"),
    bad("coalition-genesis-pin-unprefixed", "coalition",
        {"/members/0/genesis_sha256": "0" * 64}, {"minLength", "pattern"}),
    bad("coalition-negative-notice", "coalition",
        {"/notice_commitments/0/notice_days": -1}, "minimum"),
    bad("coalition-fractional-notice", "coalition",
        {"/notice_commitments/0/notice_days": 1.5}, "type"),
    bad("coalition-unpublished-without-reason", "coalition",
        {"/surfaces/not_published/0/reason": DELETE}, "required"),
    bad("coalition-published-duplicate", "coalition",
        {"/surfaces/published": ["genesis", "genesis"]}, "uniqueItems"),
    bad("coalition-site-url-javascript", "coalition",
        {"/site_url": "javascript:alert(1)"}, "pattern"),
    # root-rotation (Handshake's own record; history issue)
    bad("rotation-sequence-0", "root-rotation", {"/sequence": 0}, "minimum"),
    bad("rotation-new-root-31-bytes", "root-rotation", {"/new_root_public_key": KEY_31}, "pattern", KEY_MALFORMED),
    bad("rotation-missing-reason", "root-rotation", {"/reason": DELETE}, "required"),
    bad("rotation-unknown-field", "root-rotation", {"/note": "x"}, "additionalProperties"),
    # trust-lock
    bad("lock-version-2", "trust-lock", {"/lock_version": 2}, "const"),
    bad("lock-root-31-bytes", "trust-lock",
        {"/sovereigns/ALPHA-NA/root_public_key": KEY_31}, "pattern", KEY_MALFORMED),
    bad("lock-short-commit", "trust-lock",
        {"/sovereigns/ALPHA-NA/first_seen_commit": "0" * 7}, {"minLength", "pattern"}),
    bad("lock-uppercase-commit", "trust-lock",
        {"/sovereigns/ALPHA-NA/first_seen_commit": "A" * 40}, "pattern"),
    bad("lock-entry-unknown-field", "trust-lock",
        {"/sovereigns/ALPHA-NA/note": "x"}, "additionalProperties"),
    bad("lock-entry-missing-first-seen-at", "trust-lock",
        {"/sovereigns/ALPHA-NA/first_seen_at": DELETE}, "required"),
    bad("lock-empty-sovereign-id", "trust-lock",
        {"/sovereigns": {"": make_trust_lock()["sovereigns"]["ALPHA-NA"]}}, "minLength"),
    bad("lock-unknown-field", "trust-lock", {"/generated_by": "handshake"}, "additionalProperties"),
    # na-cosigners
    bad("cosigners-unknown-field", "na-cosigners", {"/threshold": 2}, "additionalProperties"),
    bad("cosigner-key-31-bytes", "na-cosigners",
        {"/cosigners/0/public_key": KEY_31}, "pattern", KEY_MALFORMED),
    bad("cosigner-without-window", "na-cosigners", {"/cosigners/0/valid_to": DELETE}, "required"),
    bad("cosigner-unknown-field", "na-cosigners", {"/cosigners/0/holder": "x"}, "additionalProperties"),
]


def test_every_document_kind_has_invalid_cases() -> None:
    assert {case.values[0] for case in INVALID_CASES} == set(DOCUMENT_KINDS)


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in [*VALID_VARIANTS, *INVALID_CASES]]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("kind, changes, keywords, code", INVALID_CASES)
def test_schema_refuses(
    kind: str, changes: Mapping[str, Any], keywords: set[str], code: str | None
) -> None:
    errors = errors_of(kind, edit(BASES[kind](), changes))
    assert errors, "accepted"
    assert {e.validator for e in errors} == keywords, describe(errors)
    # The verifier reads x-handshake-code from the subschema holding the failing keyword.
    assert {code_of(e) for e in errors} == {code}, describe(errors)
