"""Key files (FORMATS §1.1) and where private keys may live."""
from __future__ import annotations

import base64
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from publisher import crypto
from publisher.authoring import AuthoringError
from publisher.authoring.keys import (load_signer, parse_private_key_file, private_file_link_problem,
                                      private_file_mode_problem, read_public_key, write_keypair)
from publisher.authoring.placement import key_location_problem
from publisher.keyfile import parse_public_key_file
from tests.authoring.conftest import Keys, Runner, at, ok, seed

SEED = seed(3)
SEED_B64 = base64.b64encode(SEED).decode()

# genesis-mesh save_keypair's exact output (FORMATS §1.1), and variants both tools must read.
REFERENCE_PRIVATE = f"# Ed25519 Private Key\n# Key ID: na-local\n{SEED_B64}\n"


@pytest.mark.parametrize("text", [
    REFERENCE_PRIVATE,
    f"# Ed25519 Private Key\n# Key ID: na-local\n# Role: network-authority\n{SEED_B64}\n",
    f"{SEED_B64}",
    f"# comment\n\n{SEED_B64[:20]}\n{SEED_B64[20:]}\n",
], ids=["reference", "handshake-with-role", "bare-no-newline", "split-over-lines"])
def test_private_key_files_both_tools_write_are_read(text: str) -> None:
    signer = parse_private_key_file(text.encode())
    assert signer.public_key == crypto.public_key_of(SEED)


@pytest.mark.parametrize("text", [
    base64.b64encode(SEED[:31]).decode(),
    base64.urlsafe_b64encode(bytes([251] * 32)).decode(),
    SEED_B64.rstrip("="),
    "",
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
], ids=["31-bytes", "base64url", "unpadded", "empty", "pem"])
def test_malformed_private_key_files_are_refused(text: str) -> None:
    with pytest.raises(AuthoringError, match="not a genesis-mesh private key file"):
        parse_private_key_file(text.encode())


@pytest.mark.parametrize("name, text", [
    ("na.pub", f"# Ed25519 Public Key\n# Key ID: na-local\n{crypto.public_key_of(SEED)}\n"),
    ("bare.pub", f"{crypto.public_key_of(SEED)}\n"),
], ids=["with-header", "bare-pub-suffix"])
def test_a_public_key_file_given_as_the_private_key_is_named_as_such(tmp_path: Path, name: str,
                                                                     text: str) -> None:
    # A .pub's 32 bytes would otherwise be read as the seed of an unrelated key ("not an NA key").
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(AuthoringError, match=r"is a public key file; give the private \(\.key\) file"):
        load_signer(path, repo=None, what="--na-key")


@pytest.mark.parametrize("name, text", [
    ("na.pub", "# Ed25519 Private Key\n# Key ID: na-local\n{seed}\n"),
    ("na.key", "# Ed25519 Private Key\n# Key ID: copy of # Ed25519 Public Key\n{seed}\n"),
], ids=["private-header-named-pub", "comment-quotes-the-public-header"])
def test_a_private_key_file_is_told_by_its_header_not_its_name(tmp_path: Path, name: str, text: str) -> None:
    """A reference private key file saved as *.pub, or whose key id quotes the public header,
    is the private key it says it is, not "a public key file"."""
    path = tmp_path / name
    path.write_text(text.format(seed=SEED_B64))
    os.chmod(path, 0o600)
    assert load_signer(path, repo=None, what="--na-key").public_key == crypto.public_key_of(SEED)


def test_signer_never_shows_its_seed() -> None:
    signer = parse_private_key_file(REFERENCE_PRIVATE.encode())
    assert SEED_B64 not in repr(signer) and SEED.hex() not in repr(signer)
    assert base64.b64encode(SEED) in signer.leak_markers()
    assert signer.key_id == "na-local"


def test_keypair_is_written_0600_from_the_first_byte_and_never_overwritten(tmp_path: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    modes: list[int] = []
    real_open = os.open

    def spy(path: str, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        if str(path).endswith(".key"):
            assert flags & os.O_CREAT and flags & os.O_EXCL
            modes.append(mode)
        return real_open(path, flags, mode, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", spy)
    files = write_keypair(tmp_path / "na-1", role="na", key_id="na-1", repo=None, seed=SEED)
    assert modes == [0o600]
    assert stat.S_IMODE(files.private_path.stat().st_mode) == 0o600
    assert parse_private_key_file(files.private_path.read_bytes()).public_key == files.public_key
    assert parse_public_key_file(files.public_path.read_bytes()) == files.public_key
    assert files.public_path.read_text().startswith("# Ed25519 Public Key\n# Key ID: na-1\n")
    before = files.private_path.read_bytes()
    with pytest.raises(AuthoringError, match="never overwritten"):
        write_keypair(tmp_path / "na-1", role="na", key_id="other", repo=None)
    assert files.private_path.read_bytes() == before


def test_key_base_may_be_given_with_its_suffix(tmp_path: Path) -> None:
    files = write_keypair(tmp_path / "root.key", role="root", key_id=None, repo=None, seed=SEED)
    assert files.private_path.name == "root.key" and files.public_path.name == "root.pub"


def test_keys_are_refused_inside_a_git_work_tree_a_repo_or_through_a_symlink(tmp_path: Path) -> None:
    checkout = tmp_path / "checkout"
    (checkout / ".git").mkdir(parents=True)
    repo = tmp_path / "plain-repo"
    (repo / "sovereigns").mkdir(parents=True)
    (tmp_path / "link").symlink_to(repo)
    assert key_location_problem(checkout / "deep" / "na.key") is not None
    assert key_location_problem(repo / "na.key", [repo]) is not None
    assert key_location_problem(tmp_path / "link" / "na.key", [repo]) is not None
    assert key_location_problem(tmp_path / "elsewhere" / "na.key", [repo]) is None
    for base in (checkout / "na", repo / "keys" / "na", tmp_path / "link" / "na"):
        with pytest.raises(AuthoringError, match="refused"):
            write_keypair(base, role="na", key_id=None, repo=repo)
        assert not base.with_name("na.key").exists()


def _git(*args: str) -> None:
    subprocess.run(["git", *args], check=True, capture_output=True)


def _place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str) -> Path:
    """A place for a key base that git or a web server would publish, found without a `.git`
    entry above it (except the linked worktree, whose `.git` is a file)."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.chdir(home)
    if where == "git-work-tree-variable":
        monkeypatch.setenv("GIT_WORK_TREE", str(tmp_path / "wt"))
        return tmp_path / "wt" / "keys" / "na"
    if where == "git-dir-variable":                      # git takes the current directory as the work tree
        _git("init", "-q", "--bare", str(tmp_path / "store.git"))
        monkeypatch.setenv("GIT_DIR", str(tmp_path / "store.git"))
        return home / "keys" / "na"
    if where == "bare-repo-core-worktree":               # the "dotfiles" bare repository
        _git("init", "-q", "--bare", str(tmp_path / "dotfiles.git"))
        _git("--git-dir", str(tmp_path / "dotfiles.git"), "config", "core.worktree", str(tmp_path / "dots"))
        monkeypatch.setenv("GIT_DIR", str(tmp_path / "dotfiles.git"))
        return tmp_path / "dots" / "na"
    if where == "inside-a-bare-repo":                    # served as is by a dumb-HTTP or gitweb host
        _git("init", "-q", "--bare", str(tmp_path / "srv" / "trust.git"))
        return tmp_path / "srv" / "trust.git" / "na"
    if where == "linked-worktree":
        _git("init", "-q", str(tmp_path / "main"))
        _git("-C", str(tmp_path / "main"), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q",
             "--allow-empty", "-m", "init")
        _git("-C", str(tmp_path / "main"), "worktree", "add", "-q", str(tmp_path / "linked"))
        return tmp_path / "linked" / "na"
    assert where == "published-site"
    site = tmp_path / "www" / "site"
    (site / "static").mkdir(parents=True)
    (site / "manifest.json").write_text('{"files": {"index.html": "sha256:00"}, "generator": "handshake 0.1.0"}')
    return site / "static" / "na"


@pytest.mark.parametrize("where", ["git-work-tree-variable", "git-dir-variable", "bare-repo-core-worktree",
                                   "inside-a-bare-repo", "linked-worktree", "published-site"])
def test_keys_are_refused_where_git_or_a_site_would_publish_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  where: str) -> None:
    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    base = _place(tmp_path, monkeypatch, where)
    with pytest.raises(AuthoringError, match="refused"):
        write_keypair(base, role="na", key_id=None, repo=None, seed=SEED)
    assert not base.with_name("na.key").exists()
    outside = tmp_path / "offline" / "na"
    write_keypair(outside, role="na", key_id=None, repo=None, seed=SEED)     # elsewhere: still allowed
    base.parent.mkdir(parents=True, exist_ok=True)
    (base.parent / "na.key").write_bytes((tmp_path / "offline" / "na.key").read_bytes())
    with pytest.raises(AuthoringError, match="refused"):
        load_signer(base.parent / "na.key", repo=None, what="--na-key")


def test_a_named_pipe_called_manifest_json_does_not_block_keygen(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "manifest.json")
    files = write_keypair(tmp_path / "na", role="na", key_id=None, repo=None, seed=SEED)   # would block
    assert files.private_path.is_file()


def test_loading_a_key_from_inside_the_repository_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "sovereigns").mkdir(parents=True)
    (repo / "na.key").write_text(REFERENCE_PRIVATE)
    with pytest.raises(AuthoringError, match="inside the repository"):
        load_signer(repo / "na.key", repo=repo, what="--na-key")


def test_a_group_readable_private_key_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "loose.key"
    path.write_text(REFERENCE_PRIVATE)
    path.chmod(0o644)
    assert "0600" in (private_file_mode_problem(path) or "")
    path.chmod(0o600)
    assert private_file_mode_problem(path) is None


def test_public_keys_are_read_from_base64_or_either_pub_format(tmp_path: Path) -> None:
    public = crypto.public_key_of(SEED)
    reference = tmp_path / "ref.pub"
    reference.write_text(f"# Ed25519 Public Key\n# Key ID: na-local\n{public}\n")
    assert read_public_key(public) == public
    assert read_public_key(str(reference)) == public
    private = tmp_path / "oops.key"
    private.write_text(REFERENCE_PRIVATE)
    with pytest.raises(AuthoringError, match="private key file"):
        read_public_key(str(private))


def test_keygen_prints_public_key_and_fingerprint(hs: Runner, tmp_path: Path) -> None:
    result = hs("keygen", "--role", "root", "--out", str(tmp_path / "k" / "root"), repo_arg=None)
    assert result.code == 0, result.err
    public = parse_public_key_file((tmp_path / "k" / "root.pub").read_bytes())
    assert public is not None and public in result.out and crypto.fingerprint(public) in result.out
    assert "rs-" in (tmp_path / "k" / "root.key").read_text()
    assert stat.S_IMODE((tmp_path / "k" / "root.key").stat().st_mode) == 0o600


@pytest.mark.parametrize("where", ["repo", "git"], ids=["inside-repo", "inside-git-work-tree"])
def test_keygen_refuses_paths_inside_a_repository(hs: Runner, repo: Path, tmp_path: Path, where: str) -> None:
    if where == "git":
        target = tmp_path / "checkout" / "keys" / "na"
        (tmp_path / "checkout" / ".git").mkdir(parents=True)
    else:
        target = repo / "keys" / "na"
    result = hs("keygen", "--role", "na", "--out", str(target))
    assert result.code == 1 and "refused" in result.err
    assert not target.with_name("na.key").exists()


def test_keygen_into_a_place_it_cannot_write_is_a_clear_refusal(hs: Runner, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    result = hs("keygen", "--role", "na", "--out", str(tmp_path / "a-file" / "na"), repo_arg=None)
    assert result.code == 1 and "cannot write" in result.err and "a-file" in result.err
    assert "Traceback" not in result.err


def test_a_key_file_that_fails_half_way_is_not_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk while the seed is written must not leave a truncated .key that every later
    keygen refuses to overwrite and every command fails to parse."""
    def full(fd: int, data: bytes) -> int:
        raise OSError(28, os.strerror(28))
    monkeypatch.setattr(os, "write", full)
    with pytest.raises(AuthoringError, match="cannot write"):
        write_keypair(tmp_path / "na", role="na", key_id=None, repo=None, seed=SEED)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_keygen_operator_needs_a_key_id(hs: Runner, tmp_path: Path) -> None:
    assert hs("keygen", "--role", "operator", "--out", str(tmp_path / "op"), repo_arg=None).code == 2


def test_a_tilde_base_is_written_where_the_check_looked(hs: Runner, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """`--out '~/rs'` (quoted, so no shell expanded it) was checked as the home folder and
    written as ./~/rs.key: a private key inside the git work tree keygen ran in."""
    checkout, home = tmp_path / "checkout", tmp_path / "home"
    (checkout / ".git").mkdir(parents=True)
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(checkout)
    result = hs("keygen", "--role", "root", "--out", "~/rs", repo_arg=None)
    assert result.code == 0, result.err
    assert not (checkout / "~").exists()
    assert stat.S_IMODE((home / "rs.key").stat().st_mode) == 0o600
    assert load_signer("~/rs.key", repo=None, what="--root-key").public_key in result.out
    assert private_file_mode_problem("~/rs.key") is None


@pytest.mark.parametrize("out", ["", ".", "/", "..", "keys/.."])
def test_a_base_that_names_a_folder_is_a_clear_refusal(hs: Runner, tmp_path: Path, out: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """"", "." and "/" raised ValueError from pathlib (a traceback); ".." wrote "...key" into the
    current folder, not into the parent the operator named."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keys").mkdir()
    result = hs("keygen", "--role", "root", "--out", out, repo_arg=None)
    assert result.code == 1 and "names a folder" in result.err and "Traceback" not in result.err
    assert not list(tmp_path.rglob("*.key")) and not list(tmp_path.rglob("*.pub"))


@pytest.mark.parametrize("marker", ["sovereigns", "trust.lock", "coalition.json"])
def test_keys_are_refused_inside_a_handshake_repository_that_is_no_git_checkout(
        hs: Runner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker: str) -> None:
    """A repository copied without .git (a tarball, a deployment) was protected only when it
    was the one worked on or the current directory's: keygen run from elsewhere wrote into it."""
    other = tmp_path / "other-repo"
    other.mkdir()
    if marker == "sovereigns":
        (other / marker).mkdir()
    else:
        (other / marker).write_text("{}\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = hs("keygen", "--role", "na", "--out", str(other / "keys" / "na"), repo_arg=None)
    assert result.code == 1 and "inside the Handshake repository" in result.err and str(other) in result.err
    assert not (other / "keys").exists()
    write_keypair(tmp_path / "offline" / "na", role="na", key_id=None, repo=None, seed=SEED)
    (other / "na.key").write_bytes((tmp_path / "offline" / "na.key").read_bytes())
    with pytest.raises(AuthoringError, match="inside the Handshake repository"):
        load_signer(other / "na.key", repo=None, what="--na-key")


def test_default_key_ids_of_two_keys_made_in_one_quarter_differ(hs: Runner, tmp_path: Path) -> None:
    """genesis-mesh's default label (na-YYYY-qN) is the same for every key of a quarter: a rotation
    soon after a compromise would show two keys of one name. The default ends in the start of the
    key's own fingerprint, in the files and in what keygen prints."""
    ids = []
    for name in ("na-a", "na-b"):
        result = hs("keygen", "--role", "na", "--out", str(tmp_path / name), repo_arg=None)
        assert result.code == 0, result.err
        public = parse_public_key_file((tmp_path / f"{name}.pub").read_bytes())
        key_id = re.search(r"key id:\s+(\S+)", result.out).group(1)
        assert re.fullmatch(r"na-\d{4}-q[1-4]-[0-9a-f]{8}", key_id), key_id
        assert key_id.endswith("-" + crypto.fingerprint(public).removeprefix("sha256:")[:8])
        assert load_signer(tmp_path / f"{name}.key", repo=None, what="--na-key").key_id == key_id
        assert f"# Key ID: {key_id}" in (tmp_path / f"{name}.pub").read_text("utf-8")
        ids.append(key_id)
    assert ids[0] != ids[1]
    explicit = hs("keygen", "--role", "root", "--out", str(tmp_path / "rs"), "--key-id", "rs-2025-q1", repo_arg=None)
    assert explicit.code == 0 and "rs-2025-q1" in explicit.out


def test_a_hard_linked_private_key_is_warned_about_wherever_it_is_read(hs: Runner, keys: Keys, repo: Path,
                                                                       tmp_path: Path) -> None:
    """The location check sees only the name given: another name of the same file inside a
    repository (a hard link) would be committed with it, and cannot be found cheaply. A signing
    command says so; a key with one name gets no such warning."""
    result = hs("new-sovereign", "alpha", "--root-key", keys.path("alpha-root"), "--na-key", keys.path("alpha-na"),
                "--at", at())
    assert result.code == 0, result.err
    assert "hard link" not in result.err
    other = tmp_path / "elsewhere.key"
    os.link(keys.path("beta-na"), other)
    result = hs("new-sovereign", "beta", "--root-key", keys.path("beta-root"), "--na-key", keys.path("beta-na"),
                "--at", at())
    assert result.code == 0, result.err
    warnings = [line for line in result.err.splitlines() if "hard link" in line]
    assert len(warnings) == 1 and keys.path("beta-na") in warnings[0] and "2 names" in warnings[0], result.err
    assert private_file_link_problem(keys.path("beta-root")) is None


@pytest.mark.parametrize("key_id", ["na-\u00e9", "na\nx", "na\u202ex", " na", "na ", "x" * 257],
                         ids=["non-ascii", "newline", "bidi", "leading-blank", "trailing-blank", "too-long"])
def test_keygen_refuses_a_key_id_that_is_no_key_file_label(hs: Runner, tmp_path: Path, key_id: str) -> None:
    """A key file is ASCII, one `# Key ID:` line: a non-ASCII id raised UnicodeEncodeError out
    of keygen, and a newline would have written comment lines of its own. Refused as misuse,
    with nothing written."""
    out = tmp_path / "keys"
    out.mkdir()
    result = hs("keygen", "--role", "na", "--out", str(out / "na"), "--key-id", key_id, repo_arg=None)
    assert result.code == 2 and "is not a key file label" in result.err and "Traceback" not in result.err
    assert sorted(out.iterdir()) == []


def test_keygen_takes_a_key_id_of_the_schemas_longest(hs: Runner, tmp_path: Path) -> None:
    label = "na-" + "x" * 253
    ok(hs("keygen", "--role", "na", "--out", str(tmp_path / "na"), "--key-id", label, repo_arg=None))
    assert f"# Key ID: {label}\n" in (tmp_path / "na.pub").read_text("ascii")
    assert f"# Key ID: {label}\n" in (tmp_path / "na.key").read_text("ascii")


def _labelled_key(folder: Path, name: str, n: int, label: str) -> str:
    """A private key file another tool wrote, its `# Key ID:` line in UTF-8."""
    path = folder / f"{name}.key"
    path.write_text(f"# Ed25519 Private Key\n# Key ID: {label}\n{base64.b64encode(seed(n)).decode()}\n", "utf-8")
    path.chmod(0o600)
    return str(path)


def test_key_files_labelled_in_unicode_sign_and_leave_the_label_out_of_the_public_files(
        hs: Runner, keys: Keys, repo: Path) -> None:
    """new-sovereign and na rotate write keys/root.pub and keys/na.pub from the signing keys'
    labels: a label that is no key file label (here UTF-8 from another tool's key file) raised
    UnicodeEncodeError out of both. The documents keep it as signed; the key files leave it out."""
    root = _labelled_key(keys.folder, "gamma-root", 40, "racine-\u00e9")
    na = _labelled_key(keys.folder, "gamma-na", 41, "na-\u00e9t\u00e9")
    ok(hs("new-sovereign", "gamma", "--root-key", root, "--na-key", na, "--at", at()))
    folder = repo / "sovereigns" / "gamma"
    for name, n in (("root.pub", 40), ("na.pub", 41)):
        text = (folder / "keys" / name).read_text("ascii")
        assert "Key ID" not in text and parse_public_key_file(text.encode()) == crypto.public_key_of(seed(n))
    new_na = _labelled_key(keys.folder, "gamma-na2", 42, "na-2-\u00e9")
    ok(hs("na", "rotate", "--root-key", root, "--new-na-key", new_na, "--na-key", na, "--at", at(1)))
    text = (folder / "keys" / "na.pub").read_text("ascii")
    assert "Key ID" not in text and parse_public_key_file(text.encode()) == crypto.public_key_of(seed(42))
