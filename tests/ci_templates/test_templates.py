"""CI templates: valid against the published schemas, and every Handshake command they run parses.

Schemas come from the schemastore copies vendored by the `check-jsonschema` package (no
network). The pre-commit manifest is loaded with pre-commit's own schema.
"""
from __future__ import annotations

import importlib.resources
import json
import re
import shlex
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
