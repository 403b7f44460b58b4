"""CI templates: valid against the published schemas, and every Handshake command they run parses.

Schemas come from the schemastore copies vendored by the `check-jsonschema` package (no
network). The pre-commit manifest is loaded with pre-commit's own schema.
"""
from __future__ import annotations

import importlib.resources
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest
from jsonschema import Draft7Validator
from ruamel.yaml import YAML

from publisher.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "ci-templates"
GITHUB = sorted((TEMPLATES / "github").glob("*.yml"))
GITLAB = TEMPLATES / "gitlab" / ".gitlab-ci.yml"
CHECKED_COMMANDS = ("verify", "review", "pin", "build", "verify-site")


def vendored_schema(name: str) -> dict:
    files = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((files / name).read_text("utf-8"))


def load_yaml(path: Path):
    return YAML(typ="safe", pure=True).load(path.read_text("utf-8"))


def test_templates_exist():
    assert [p.name for p in GITHUB] == ["handshake-main.yml", "handshake-nightly.yml", "handshake-pull-request.yml"]
    assert GITLAB.is_file() and (ROOT / ".pre-commit-hooks.yaml").is_file() and (TEMPLATES / "README.md").is_file()


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_github_workflow_matches_schemastore(path):
    errors = sorted(Draft7Validator(vendored_schema("github-workflows.json")).iter_errors(load_yaml(path)), key=str)
    assert errors == [], [e.message for e in errors]


def test_gitlab_ci_matches_schemastore():
    errors = sorted(Draft7Validator(vendored_schema("gitlab-ci.json")).iter_errors(load_yaml(GITLAB)), key=str)
    assert errors == [], [e.message for e in errors]


def test_schema_validation_can_fail():
    broken = load_yaml(GITHUB[0])
    broken["jobs"]["build"]["steps"] = "not a list of steps"
    assert list(Draft7Validator(vendored_schema("github-workflows.json")).iter_errors(broken))


def test_pull_request_workflow_posts_one_sticky_comment_and_fails_on_critical():
    workflow = load_yaml(TEMPLATES / "github" / "handshake-pull-request.yml")
    steps = workflow["jobs"]["verify-and-review"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    script = next(s["with"]["script"] for s in steps if s.get("uses", "").startswith("actions/github-script"))
    assert "<!-- handshake-review -->" in script and "updateComment" in script
    assert workflow["env"]["HANDSHAKE_FAIL_ON"] == "critical"
    assert "pull_request_target" not in workflow["on"]


def _scripts(path: Path) -> list[str]:
    """The shell text a template runs: GitHub `run:`, GitLab `script:`, pre-commit `entry:`."""
    data = load_yaml(path)
    if path.name == ".pre-commit-hooks.yaml":
        return [hook["entry"] + " ." for hook in data if hook["language"] == "python"]
    if path.name == ".gitlab-ci.yml":
        return [line for job in data.values() if isinstance(job, dict)
                for key in ("before_script", "script") for line in job.get(key, [])]
    return [step["run"] for job in data["jobs"].values() for step in job.get("steps", []) if "run" in step]


def _variables(path: Path) -> dict[str, str]:
    data = load_yaml(path)
    if path.name == ".pre-commit-hooks.yaml":
        return {}
    values = data.get("variables" if path.name == ".gitlab-ci.yml" else "env") or {}
    return {key: str(value) for key, value in values.items()}


def _commands(path: Path) -> list[list[str]]:
    """Every `handshake verify|review|pin ...` invocation (continuations joined, redirections cut,
    the template's own variables substituted)."""
    variables, found = _variables(path), []
    for script in _scripts(path):
        for line in re.sub(r"\\\n\s*", " ", script).splitlines():
            match = re.search(r"(?:^|\s)handshake\s+((?:" + "|".join(CHECKED_COMMANDS) + r")\b.*)", line)
            if match:
                command = re.split(r"\|\||&&|;|>|#", match.group(1))[0]
                expanded = re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), m.group(1)), command)
                found.append(shlex.split(expanded))
    return found


@pytest.mark.parametrize("path", [*GITHUB, GITLAB, ROOT / ".pre-commit-hooks.yaml"], ids=lambda p: p.name)
def test_every_handshake_command_parses(path):
    commands = _commands(path)
    assert commands, f"no handshake command found in {path.name}"
    parser = build_parser()
    for words in commands:
        parser.parse_args(words)


def test_pre_commit_manifest_is_valid():
    from pre_commit.clientlib import load_manifest
    hooks = {hook["id"]: hook for hook in load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))}
    assert set(hooks) == {"handshake-verify", "handshake-no-private-keys", "handshake-no-key-files"}
    assert hooks["handshake-verify"]["pass_filenames"] is False
    assert re.search(hooks["handshake-no-key-files"]["files"], "keys/root.key")
    assert not re.search(hooks["handshake-no-key-files"]["files"], "keys/root.pub")


@pytest.mark.parametrize("text, refused", [
    ("# Ed25519 Private Key\n# Key ID: na-1\nq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\n", True),
    ("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI...\n-----END PRIVATE KEY-----\n", True),
    ("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk...\n", True),
    ("# Ed25519 Public Key\n# Key ID: na-1\nq83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\n", False),
    ('{"note": "we never publish private keys"}\n', False),
], ids=["genesis-mesh-private", "pem", "openssh", "public-key", "prose"])
def test_private_key_pattern(text, refused):
    from pre_commit.clientlib import load_manifest
    hooks = load_manifest(str(ROOT / ".pre-commit-hooks.yaml"))
    hook = next(h for h in hooks if h["id"] == "handshake-no-private-keys")
    assert bool(re.search(hook["entry"], text)) is refused


# --- Hardening: what an operator copies must not hand a pull request, an issue author or a
# --- planted file more than it should get.

def _github_steps(path: Path):
    for name, job in load_yaml(path)["jobs"].items():
        for step in job.get("steps", []):
            yield name, step


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_no_expression_is_interpolated_into_a_script(path):
    """`${{ }}` is pasted into the script text before the shell or node parses it: a branch name,
    title or step output there is code. Contexts reach scripts through `env:` only."""
    for job, step in _github_steps(path):
        for text in (step.get("run", ""), (step.get("with") or {}).get("script", "")):
            assert "${{" not in text, f"{path.name}: job {job}, step {step.get('name', step.get('uses'))}"


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(path):
    """A tag can be moved to other code by whoever controls the action's repository; a commit
    id cannot. Every `uses:` names a full 40-hex commit, with the release it is as a comment."""
    uses = re.findall(r"^\s*(?:- )?uses: (\S+)(.*)$", path.read_text(), re.M)
    assert uses
    for action, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), action
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), (action, comment)


@pytest.mark.parametrize("path", GITHUB, ids=lambda p: p.name)
def test_permissions_are_granted_per_job(path):
    """The workflow grants nothing; a job that runs Handshake on repository content never holds
    pages, id-token or issues write (only the deploy and the issue jobs do, and they run no
    repository code)."""
    workflow = load_yaml(path)
    assert workflow.get("permissions") == {}, f"{path.name}: top-level permissions must be {{}}"
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict), f"{path.name}: job {name} must state its permissions"
        runs_handshake = any("handshake " in step.get("run", "") for step in job.get("steps", []))
        writes = {scope for scope, level in granted.items() if level == "write"}
        if runs_handshake:
            assert writes <= {"pull-requests"}, f"{path.name}: job {name} runs Handshake with {writes}"
        if writes & {"pages", "id-token", "issues"}:
            assert not any(step.get("uses", "").startswith("actions/checkout") for step in job.get("steps", [])), \
                f"{path.name}: job {name} checks out the repository while holding {writes}"


def _python_calls(text: str) -> list[str]:
    return re.findall(r"(?:^|[\s|;(&])(python3?\s+(?:-\S+\s+)*)", text)


@pytest.mark.parametrize("path", [*GITHUB, GITLAB], ids=lambda p: p.name)
def test_python_never_imports_from_the_checkout(path):
    """`python -m pip`, `python -` and `python -c` put the current directory (the checkout) first
    on sys.path: a committed pip/ or json.py would run in CI. Every call is isolated (-I)."""
    calls = [call for script in _scripts(path) for call in _python_calls(script)]
    assert calls, f"no python call found in {path.name}"
    for call in calls:
        assert re.match(r"python3?\s+-I\b", call), f"{path.name}: {call.strip()!r} is not isolated"


def test_sticky_comment_is_only_ever_the_bots_own():
    """A comment anyone posts with the marker must never be taken for (or updated as) the review."""
    steps = dict((s.get("uses", "").split("@")[0], s) for _, s in
                 _github_steps(TEMPLATES / "github" / "handshake-pull-request.yml"))
    script = steps["actions/github-script"]["with"]["script"]
    assert 'c.user.login === "github-actions[bot]"' in script


def test_expiry_issue_is_only_ever_the_bots_own():
    """Anyone can open an issue with the expiry title: the one updated is the bot's, with the marker."""
    nightly = (TEMPLATES / "github" / "handshake-nightly.yml").read_text("utf-8")
    assert "author:app/github-actions" in nightly and "<!-- handshake-expiring -->" in nightly
    gitlab = GITLAB.read_text("utf-8")
    assert gitlab.count("author_id") >= 2 and '"<!-- handshake-expiring -->"' in gitlab
    assert "/user" in gitlab                 # the token's own user id, looked up once


def test_no_template_persists_the_cache_secret():
    """The verification cache is sealed with `$XDG_CACHE_HOME/handshake/cache.secret`: a CI cache
    of that directory shared with pull requests would let one forge entries (pickles)."""
    for path in GITHUB:
        for _, step in _github_steps(path):
            assert not step.get("uses", "").startswith("actions/cache"), path.name
            assert "cache" not in (step.get("with") or {}), path.name
    gitlab = load_yaml(GITLAB)
    assert all("cache" not in job for job in gitlab.values() if isinstance(job, dict))
    assert "cache" not in gitlab.get("default", {})


@pytest.mark.parametrize("path", [TEMPLATES / "github" / "handshake-nightly.yml", GITLAB], ids=lambda p: p.name)
def test_expiry_days_is_checked_to_be_a_number(path):
    assert re.search(r'case "\$\{?HANDSHAKE_EXPIRY_DAYS\}?" in', path.read_text("utf-8")), path.name


def _pygrep(hook: dict, filenames: list[str]) -> int:
    """What pre-commit runs for a pygrep hook: `pygrep *args entry *filenames` (no `--` of its own)."""
    from pre_commit.languages import pygrep
    return pygrep.main([*hook["args"], hook["entry"], *filenames])


def _hook(hook_id: str) -> dict:
    from pre_commit.clientlib import load_manifest
    return next(h for h in load_manifest(str(ROOT / ".pre-commit-hooks.yaml")) if h["id"] == hook_id)


@pytest.mark.parametrize("name", ["--help", "-h", "--negate", "-i"])
def test_a_file_named_like_an_option_never_turns_the_key_hook_off(tmp_path, monkeypatch, capsys, name):
    """pre-commit passes file names after the pattern with no `--`: a committed file named
    `--help` made pygrep print its usage and exit 0, passing the private key next to it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "root.txt").write_text("# Ed25519 Private Key\n# Key ID: na-1\nAAAA\n")
    (tmp_path / name).write_text("hello\n")
    assert _pygrep(_hook("handshake-no-private-keys"), ["root.txt", name]) == 1


def test_a_key_inside_a_binary_file_is_refused(tmp_path, monkeypatch, capsys):
    """`types: [text]` skipped any file with a NUL byte, such as a tar of the key folder."""
    import io
    import tarfile
    from identify import identify
    monkeypatch.chdir(tmp_path)
    data = b"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI...\n-----END PRIVATE KEY-----\n"
    with tarfile.open(tmp_path / "keys.tar", "w") as tar:
        info = tarfile.TarInfo("keys/root.pem")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    hook = _hook("handshake-no-private-keys")
    assert "binary" in identify.tags_from_path(str(tmp_path / "keys.tar"))
    assert not set(hook["types"]) - identify.tags_from_path(str(tmp_path / "keys.tar"))
    assert _pygrep(hook, ["keys.tar"]) == 1


@pytest.mark.parametrize("name", ["keys/root.KEY", "keys/root.Seed", "root.PRIV"])
def test_key_file_names_are_refused_in_any_case(name):
    assert re.search(_hook("handshake-no-key-files")["files"], name)


def _install_script(path: Path) -> str:
    """The script that installs Handshake: the one that names HANDSHAKE_PACKAGE."""
    scripts = [s for s in _scripts(path) if "HANDSHAKE_PACKAGE" in s and "pip install" in s]
    assert len(scripts) == 1, path.name
    return scripts[0]


def _run_install(script: str, package: str, tmp_path: Path, shell: str = "sh") -> tuple[int, str, list[str]]:
    """Run the install script under POSIX sh with a fake `python` that records its arguments."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / "python-args"
    record.unlink(missing_ok=True)
    fake = bin_dir / "python"
    fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n', "utf-8")
    fake.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HANDSHAKE_PACKAGE": package}
    done = subprocess.run([shell, "-e", "-c", script], env=env, capture_output=True, text=True, check=False)
    args = record.read_text("utf-8").splitlines() if record.exists() else []
    return done.returncode, done.stderr, args


SHA = "0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("path", [*GITHUB, GITLAB], ids=lambda p: p.name)
def test_install_is_never_a_bare_name_from_an_index(path):
    """Handshake is not on PyPI: a template that installed `handshake-publisher==X` by name would
    fail, or run whatever a stranger registered under that name with the job's token."""
    text = path.read_text("utf-8")
    assert "handshake-publisher==" not in text and "HANDSHAKE_VERSION" not in text, path.name
    package = _variables(path)["HANDSHAKE_PACKAGE"]
    assert "REPLACE-WITH-HANDSHAKE-SOURCE" in package and package.endswith("@REPLACE-WITH-COMMIT-SHA")


@pytest.mark.parametrize("path", [*GITHUB, GITLAB], ids=lambda p: p.name)
@pytest.mark.parametrize("shell", ["sh", "bash"])
def test_install_refuses_the_placeholder_and_movable_refs(path, tmp_path, shell):
    script = _install_script(path)
    default = _variables(path)["HANDSHAKE_PACKAGE"]
    status, err, args = _run_install(script, default, tmp_path, shell)
    assert (status, args) == (2, []) and "set HANDSHAKE_PACKAGE" in err, (path.name, status, err)
    for ref in ("main", "v0.1.0", SHA[:12], SHA.upper(), SHA + "0", "g" + SHA[1:]):
        status, err, args = _run_install(script, f"handshake-publisher @ git+https://example.org/hs@{ref}", tmp_path,
                                         shell)
        assert (status, args) == (2, []) and "full 40-hex commit SHA" in err, (path.name, ref, err)
    status, err, args = _run_install(script, "handshake-publisher @ git+https://example.org/hs", tmp_path, shell)
    assert (status, args) == (2, []), (path.name, err)


@pytest.mark.parametrize("path", [*GITHUB, GITLAB], ids=lambda p: p.name)
@pytest.mark.parametrize("shell", ["sh", "bash"])    # GitLab's images run sh; GitHub runs bash -e
def test_install_passes_a_pinned_source_to_pip(path, tmp_path, shell):
    script = _install_script(path)
    for package in (f"handshake-publisher @ git+https://example.org/hs@{SHA}",
                    f"handshake-publisher @ git+ssh://git@example.org/hs.git@{SHA}"):
        status, err, args = _run_install(script, package, tmp_path, shell)
        assert status == 0, (path.name, err)
        assert args == ["-I", "-m", "pip", "install", "--quiet", package], path.name
