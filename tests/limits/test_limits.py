"""Every input limit: its documented default, nothing reported at the limit, and its finding
one step past it (with the excess left unprocessed). Limits are tightened per test so small
repositories reach them; the 10 MB and 10,000-deep cases at the defaults are in tests/hostile.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import re

import pytest

import publisher.limits
from hostile_attacks import rotate_alpha
from hostile_repo import MemorySource
from hostile_world import ALPHA, BETA, NOW, TREATY, Files, baseline, dump, set_treaty, signed
from publisher.limits import DEFAULT_LIMITS, Limits
from publisher.verify import Verification, verify_repository

A = "sovereigns/alpha"


def verify(files: Files, **limits: int) -> Verification:
    result = verify_repository(MemorySource(files), at=NOW, limits=Limits(**limits), workers=1)
    assert "internal.check_failed" not in {f.code for f in result.findings}
    return result


def findings(result: Verification) -> set[tuple[str, str]]:
    return {(f.code, f.path) for f in result.findings}


def test_every_limit_has_its_documented_default() -> None:
    """The table in publisher/limits.py's docstring names every limit with its default value."""
    documented = {name: int(value.replace(",", ""))
                  for name, value in re.findall(r"^\s+(max_\w+)\s+([\d,]+)", publisher.limits.__doc__ or "", re.M)}
    documented["max_file_bytes"] = 1 << 20      # written as "1 MiB"
    actual = {f.name: getattr(DEFAULT_LIMITS, f.name) for f in dataclasses.fields(Limits)}
    assert documented == actual


def with_readme(size: int) -> Files:
    files = baseline()
    files[f"{A}/README.md"] = b"x" * size
    return files


def test_file_at_the_size_limit_is_read() -> None:
    assert findings(verify(with_readme(4096), max_file_bytes=4096)) == set()


def test_file_past_the_size_limit_is_not_read() -> None:
    source = MemorySource(with_readme(4097))
    read: list[str] = []
    source.read = lambda path, _read=source.read: read.append(path) or _read(path)  # type: ignore[method-assign]
    result = verify_repository(source, at=NOW, limits=Limits(max_file_bytes=4096), workers=1)
    assert findings(result) == {("limits.file_too_large", f"{A}/README.md")}
    assert f"{A}/README.md" not in read


def test_root_file_past_the_size_limit() -> None:
    files = baseline()
    files["trust.lock"] = files["trust.lock"] + b" " * 4096
    result = verify(files, max_file_bytes=4096, max_index_bytes=4096)
    assert ("limits.file_too_large", "trust.lock") in findings(result)


def nested_treaty(depth: int) -> Files:
    """Alpha's treaty, re-signed, whose metadata nests so the document is `depth` deep."""
    node: object = 1
    for _ in range(depth - 1):          # the treaty object is the first level
        node = {"n": node}
    files = baseline()
    set_treaty(files, signed(ALPHA.treaty(BETA, metadata=node), "recognition-treaty", ALPHA.na))
    return files


ROWS = f"{A}/recognition-treaties.json"     # embeds the treaty three levels deeper


def test_nesting_at_the_depth_limit_is_parsed() -> None:
    assert findings(verify(nested_treaty(12), max_depth=15)) == set()


def test_nesting_past_the_depth_limit() -> None:
    assert findings(verify(nested_treaty(13), max_depth=15)) == {("json.too_deep", ROWS)}
    assert findings(verify(nested_treaty(13), max_depth=12)) == {("json.too_deep", TREATY), ("json.too_deep", ROWS)}


def treaty_with_note(chars: int) -> Files:
    files = baseline()
    set_treaty(files, signed(ALPHA.treaty(BETA, metadata={"note": "n" * chars}), "recognition-treaty", ALPHA.na))
    return files


def test_string_at_the_length_limit_is_kept() -> None:
    assert findings(verify(treaty_with_note(1000), max_string_chars=1000)) == set()


def test_string_past_the_length_limit() -> None:
    result = verify(treaty_with_note(1001), max_string_chars=1000)
    assert findings(result) == {("limits.string_too_long", TREATY), ("limits.string_too_long", ROWS)}


def alpha_file_count(files: Files) -> int:
    return sum(1 for p in files if p.startswith(f"{A}/"))


def test_files_at_the_per_sovereign_limit() -> None:
    files = baseline()
    assert findings(verify(files, max_files_per_sovereign=alpha_file_count(files))) == set()


def test_files_past_the_per_sovereign_limit() -> None:
    files = baseline()
    files[f"{A}/treaties/zz-extra.json"] = b"{}"     # sorts last: the one past the limit
    result = verify(files, max_files_per_sovereign=alpha_file_count(files) - 1)
    assert findings(result) == {("limits.too_many_files", f"{A}/treaties/zz-extra.json")}


def test_files_at_the_repository_limit() -> None:
    files = baseline()
    total = sum(1 for p in files if p.startswith("sovereigns/"))
    assert findings(verify(files, max_total_files=total)) == set()


def test_files_past_the_repository_limit() -> None:
    files = baseline()
    total = sum(1 for p in files if p.startswith("sovereigns/"))
    result = verify(files, max_total_files=total - 1)
    assert ("limits.too_many_files", "sovereigns") in findings(result)


def doubled_signatures(files: Files, path: str) -> Files:
    files = copy.deepcopy(files)
    document = json.loads(files[path])
    record = document["successions"][0] if path.endswith("key-history.json") else document
    record["signatures"] = record["signatures"] + record["signatures"][:1]
    files[path] = dump(document)
    return files


@pytest.mark.parametrize("path", [TREATY, f"{A}/genesis.signed.json", f"{A}/roll-call.json"],
                         ids=["na-signed", "root-signed", "roll-call"])
def test_signatures_past_the_limit_are_not_tried(path: str) -> None:
    files = doubled_signatures(baseline(), path)
    result = verify(files, max_signatures=1)
    assert ("limits.too_many_signatures", path) in findings(result)
    assert "limits.too_many_signatures" not in {f.code for f in verify(files, max_signatures=2).findings}


def test_succession_signatures_past_the_limit_are_not_tried() -> None:
    files = baseline()
    rotate_alpha(files)
    history = f"{A}/key-history.json"
    assert ("limits.too_many_signatures", history) not in findings(verify(files, max_signatures=3))
    result = verify(files, max_signatures=2)
    assert ("limits.too_many_signatures", history) in findings(result)
    assert len(result.sovereign("alpha").key_history.keys) == 1


def test_a_succession_with_an_unknown_field_tries_no_signature_past_the_limit(monkeypatch) -> None:
    """A record changed after signing is checked against each of its signers (the reference's
    order: its form is named only if a signer signed it so); with more signatures than the
    bound, none may be tried, or each copy costs three verifications."""
    from publisher import crypto
    files = baseline()
    rotate_alpha(files)
    history = f"{A}/key-history.json"
    document = json.loads(files[history])
    record = document["successions"][0]
    record["note"] = "added after signing"
    record["signatures"] = record["signatures"] * 4          # 12: within the schema's 16
    files[history] = dump(document)
    from publisher.canonical import signed_bytes
    covered = signed_bytes(record, "key-succession-record")
    tried: list[bytes] = []
    real = crypto.verify
    monkeypatch.setattr(crypto, "verify", lambda key, message, sig: tried.append(message) or real(key, message, sig))
    result = verify(files, max_signatures=8)
    assert ("limits.too_many_signatures", history) in findings(result)
    assert len(result.sovereign("alpha").key_history.keys) == 1
    assert covered not in tried


def rotated() -> Files:
    files = baseline()
    rotate_alpha(files, complete=True)
    return files


def test_history_at_the_key_limit() -> None:
    assert findings(verify(rotated(), max_history_keys=2)) == set()


def test_history_past_the_key_limit_stops_there() -> None:
    result = verify(rotated(), max_history_keys=1)
    assert ("limits.too_many_keys", f"{A}/key-history.json") in findings(result)
    assert len(result.sovereign("alpha").key_history.keys) == 1


def count_verifications(files: Files, monkeypatch: pytest.MonkeyPatch) -> int:
    from publisher import crypto
    calls = []
    real = crypto.verify
    monkeypatch.setattr(crypto, "verify", lambda *args: calls.append(1) or real(*args))
    verify(files)
    monkeypatch.setattr(crypto, "verify", real)
    return len(calls)


def test_a_repeated_signature_is_tried_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sixteen copies of one junk signature cost what one costs (work is per distinct signature)."""
    once, sixteen = baseline(), baseline()
    junk = signed(ALPHA.treaty(BETA), "recognition-treaty", ALPHA.operator)
    set_treaty(once, junk)
    set_treaty(sixteen, {**junk, "signatures": junk["signatures"] * 16})
    assert count_verifications(sixteen, monkeypatch) == count_verifications(once, monkeypatch)
