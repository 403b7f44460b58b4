"""`handshake import-na DIR`: a folder from saved endpoint bodies; the root is never taken from
the files alone; files that disagree or go back in time are refused."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from publisher.keyfile import parse_public_key_file
from tests.authoring.conftest import Keys, Runner, at, ok, read
from tests.authoring.test_treaties import errors

# saved endpoint file (as `curl -o` would name it) <- Handshake layout file of the source sovereign
SAVED = {"genesis": "genesis.signed.json", "sovereign.json": "sovereign.json", "na/key-history": "key-history.json",
         "recognition-treaties": "recognition-treaties.json", "sovereign-revocation-feed": "revocation-feed.json"}


@pytest.fixture
def served(two_sovereigns: Path, hs: Runner, keys: Keys, tmp_path: Path) -> Path:
    """alpha's endpoint bodies saved into a folder, after a treaty, a feed and a rotation."""
    ok(hs("treaty", "issue", "alpha", "beta", "--roles", "client", "--valid-for", "30d", "--treaty-id", "t-1",
          "--na-key", keys.path("alpha-na"), "--at", at(1)))
    ok(hs("na", "rotate", "--root-key", keys.path("alpha-root"), "--new-na-key", keys.path("alpha-na2"),
          "--na-key", keys.path("alpha-na"), "--at", at(2)))
    ok(hs("feed", "revoke", "att-1", "--reason", "x", "--na-key", keys.path("alpha-na2"), "--at", at(2)))
    folder = tmp_path / "saved"
    for saved, layout in SAVED.items():
        (folder / saved).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(two_sovereigns / "sovereigns" / "alpha" / layout, folder / saved)
    return folder


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    path = tmp_path / "fresh"
    (path / "sovereigns").mkdir(parents=True)
    return path


def test_import_with_an_independently_obtained_root(served: Path, fresh: Path, hs: Runner, keys: Keys) -> None:
    result = ok(hs("import-na", str(served), "--root-key", keys.pub("alpha-root"), "--at", at(3), repo_arg=fresh))
    assert "root given" in result.out
    base = fresh / "sovereigns" / "alpha"
    for saved, layout in SAVED.items():
        assert (base / layout).read_bytes() == (served / saved).read_bytes()      # bytes as received
    assert json.loads((base / "treaties" / "t-1.json").read_text()) == \
        read(fresh, "sovereigns/alpha/recognition-treaties.json")["recognition_treaties"][0]["treaty"]
    assert parse_public_key_file((base / "keys" / "na.pub").read_bytes()) == keys.public["alpha-na2"]
    assert parse_public_key_file((base / "keys" / "root.pub").read_bytes()) == keys.public["alpha-root"]
    assert errors(fresh, at(3)) == []


def test_a_new_sovereign_needs_a_root_from_elsewhere_or_explicit_first_use(served: Path, fresh: Path, hs: Runner,
                                                                           keys: Keys) -> None:
    refused = hs("import-na", str(served), "--at", at(3), repo_arg=fresh)
    assert refused.code == 1 and "--trust-on-first-use" in refused.err
    wrong = hs("import-na", str(served), "--root-key", keys.pub("beta-root"), "--at", at(3), repo_arg=fresh)
    assert wrong.code == 1 and "not rooted in the --root-key" in wrong.err
    assert not (fresh / "sovereigns" / "alpha").exists()
    ok(hs("import-na", str(served), "--trust-on-first-use", "--at", at(3), repo_arg=fresh))


def test_an_update_keeps_the_pinned_root_and_is_idempotent(served: Path, two_sovereigns: Path, hs: Runner) -> None:
    result = ok(hs("import-na", str(served), "--at", at(3)))
    assert "already up to date" in result.out


def test_another_root_for_a_known_sovereign_is_refused(served: Path, fresh: Path, hs: Runner, keys: Keys) -> None:
    ok(hs("new-sovereign", "alpha", "--root-key", keys.path("beta-root"), "--na-key", keys.path("gamma-na"),
          "--at", at(0), repo_arg=fresh))
    result = hs("import-na", str(served), "--at", at(3), repo_arg=fresh)
    assert result.code == 1 and "another root" in result.err


def test_files_that_disagree_are_refused(served: Path, fresh: Path, hs: Runner, two_sovereigns: Path) -> None:
    shutil.copy(two_sovereigns / "sovereigns" / "beta" / "sovereign.json", served / "sovereign.json")
    result = hs("import-na", str(served), "--trust-on-first-use", "--at", at(3), repo_arg=fresh)
    assert result.code == 1 and "import.inconsistent" in result.err


def test_missing_and_unreadable_endpoint_files_are_refused(served: Path, fresh: Path, hs: Runner) -> None:
    (served / "genesis").unlink()
    missing = hs("import-na", str(served), "--trust-on-first-use", "--at", at(3), repo_arg=fresh)
    assert missing.code == 1 and "/genesis" in missing.err
    (served / "genesis").write_text('{"network_name": "a", "network_name": "b"}')
    broken = hs("import-na", str(served), "--trust-on-first-use", "--at", at(3), repo_arg=fresh)
    assert broken.code == 1 and "import.unreadable" in broken.err


def test_an_older_feed_is_not_imported_over_a_newer_one(served: Path, two_sovereigns: Path, hs: Runner,
                                                        keys: Keys) -> None:
    ok(hs("feed", "revoke", "att-2", "--reason", "y", "--na-key", keys.path("alpha-na2"), "--at", at(4)))
    result = hs("import-na", str(served), "--at", at(5))
    assert result.code == 1 and "older" in result.err


@pytest.mark.parametrize("rows", [
    5,
    "rows",
    {"t-1": {}},
    [{"treaty": {"issuer_sovereign_id": "alpha", "treaty_id": ["t-1"]}}],
    [{"treaty": {"issuer_sovereign_id": "alpha", "treaty_id": {"id": "t-1"}}}],
], ids=["number", "string", "object", "treaty-id-list", "treaty-id-object"])
def test_rows_of_the_wrong_type_are_refused_not_raised(served: Path, fresh: Path, hs: Runner, keys: Keys,
                                                       rows: object) -> None:
    body = json.loads((served / "recognition-treaties").read_text())
    body["recognition_treaties"] = rows
    (served / "recognition-treaties").write_text(json.dumps(body))
    result = hs("import-na", str(served), "--root-key", keys.pub("alpha-root"), "--at", at(3), repo_arg=fresh)
    assert result.code == 1 and "refused: the saved endpoint files disagree" in result.err
    assert not (fresh / "sovereigns" / "alpha").exists()


def test_a_lock_of_the_wrong_shape_is_refused_not_raised(served: Path, fresh: Path, hs: Runner, keys: Keys) -> None:
    """import-na pins the root in trust.lock: a lock whose `sovereigns` is a list raised
    ValueError (dict(["x"])); it is a refusal naming the file, and nothing is written."""
    lock = {"lock_version": 1, "sovereigns": ["x"]}
    (fresh / "trust.lock").write_text(json.dumps(lock))
    result = hs("import-na", str(served), "--root-key", keys.pub("alpha-root"), "--at", at(3), repo_arg=fresh)
    assert result.code == 1 and "trust.lock does not match its schema" in result.err, result.err
    assert "Traceback" not in result.err
    assert json.loads((fresh / "trust.lock").read_text()) == lock
    assert not (fresh / "sovereigns" / "alpha").exists()


@pytest.mark.parametrize("key_id, line", [
    ("clé-racine", None),
    ("\u202etoor", None),
    ("root\n# Role: network-authority", None),
    ("root\u0000", None),
    ("alpha-root-2", "# Key ID: alpha-root-2"),
    ("k" * 256, "# Key ID: " + "k" * 256),
], ids=["non-ascii", "bidi", "newline", "nul", "plain", "longest"])
def test_the_genesis_signature_key_id_is_a_label_only_when_it_is_one(served: Path, fresh: Path, hs: Runner,
                                                                    keys: Keys, key_id: str,
                                                                    line: str | None) -> None:
    """The signature's key_id is not signed (any string of 1 to 256 characters): keys/root.pub's
    `# Key ID:` line takes it only when it is one line of printable ASCII. A non-ASCII one
    raised UnicodeEncodeError out of `handshake import-na`; one with a newline wrote its own
    comment lines into the key file."""
    genesis = json.loads((served / "genesis").read_text())
    genesis["signatures"][0]["key_id"] = key_id
    (served / "genesis").write_text(json.dumps(genesis))
    history = json.loads((served / "na" / "key-history").read_text())
    history["genesis"] = genesis                           # it embeds the genesis: the same one
    (served / "na" / "key-history").write_text(json.dumps(history))
    result = ok(hs("import-na", str(served), "--root-key", keys.pub("alpha-root"), "--at", at(3), repo_arg=fresh))
    assert "Traceback" not in result.err
    text = (fresh / "sovereigns" / "alpha" / "keys" / "root.pub").read_text("ascii")
    assert parse_public_key_file(text.encode()) == keys.public["alpha-root"]
    assert [x for x in text.splitlines() if x.startswith("# Key ID")] == ([line] if line else [])


def test_a_history_key_id_that_is_no_label_is_left_out_of_na_pub(served: Path, fresh: Path, hs: Runner,
                                                                 keys: Keys) -> None:
    """The current NA key's id comes from the key history the NA signed: a non-ASCII one
    raised UnicodeEncodeError out of `handshake import-na` when keys/na.pub was written."""
    from publisher.authoring.documents import SUCCESSION_KIND
    from publisher.authoring.keys import parse_private_key_file
    history = json.loads((served / "na" / "key-history").read_text())
    record = history["successions"][-1]
    record["new_key_id"] = "nä-2"
    body = {k: v for k, v in record.items() if k != "signatures"}
    record["signatures"] = [parse_private_key_file(Path(keys.path(name)).read_bytes()).signature(body, SUCCESSION_KIND)
                            for name in ("alpha-root", "alpha-na2", "alpha-na")]
    (served / "na" / "key-history").write_text(json.dumps(history))
    result = ok(hs("import-na", str(served), "--root-key", keys.pub("alpha-root"), "--at", at(3), repo_arg=fresh))
    assert "Traceback" not in result.err
    text = (fresh / "sovereigns" / "alpha" / "keys" / "na.pub").read_text("ascii")
    assert parse_public_key_file(text.encode()) == keys.public["alpha-na2"]
    assert "# Key ID" not in text
