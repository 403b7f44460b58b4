"""The wheel ships every package directory and the resource folders (a non-editable install
must work away from the checkout)."""
from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib

from tests.conftest import REPO_ROOT


def test_every_python_package_is_listed_for_the_wheel():
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    on_disk = {
        ".".join(path.parent.relative_to(REPO_ROOT).parts)
        for path in (REPO_ROOT / "publisher").rglob("__init__.py")
    }
    assert on_disk <= listed, f"missing from [tool.setuptools] packages: {sorted(on_disk - listed)}"
    assert config["package-dir"] == {"publisher.schema_files": "schemas", "publisher.site_template": "site_template",
                                     "publisher.site_template.static": "site_template/static"}


def test_a_non_editable_install_finds_its_schemas_and_templates_and_verifies_and_builds(tmp_path, demo_copy):
    """The layout a wheel installs (package-dir: schemas/ -> publisher/schema_files/,
    site_template/ -> publisher/site_template/, neither with an __init__.py; only the files
    package-data names, where changes.atom was missing), away from the checkout.
    `importlib.resources.files` answers a MultiplexedPath for such a folder, which names no
    directory: every `pip install .` or git requirement (as the CI templates install
    Handshake) failed to find its schemas before its first finding."""
    site = tmp_path / "site-packages"
    shutil.copytree(REPO_ROOT / "publisher", site / "publisher",
                    ignore=shutil.ignore_patterns("__pycache__"))
    config = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    for package, folder in config["package-dir"].items():      # only the files package-data ships
        target = site / package.replace(".", "/")
        target.mkdir(parents=True)
        for pattern in config["package-data"][package]:
            for path in (REPO_ROOT / folder).glob(pattern):
                if path.is_file():
                    shutil.copy(path, target / path.name)
    repo = demo_copy
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(site), "HANDSHAKE_NO_CACHE": "1", "HOME": str(tmp_path)}
    where = subprocess.run([sys.executable, "-c", "import publisher.resources as r; print(r.resource_dir('schemas')); "
                            "print(r.resource_dir('site_template')); print(r.__file__)"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert all(line.startswith(str(site)) for line in where), where
    for command in (["verify", str(repo), "--at", "2026-11-23T12:00:00Z", "--no-history"],
                    ["build", str(repo), "--out", str(tmp_path / "out"), "--at", "2026-11-23T12:00:00Z"]):
        done = subprocess.run([sys.executable, "-m", "publisher", *command], cwd=tmp_path, env=env,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out" / "static" / "site.css").is_file() and (tmp_path / "out" / "schemas").is_dir()
