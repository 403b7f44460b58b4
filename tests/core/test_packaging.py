"""The wheel ships every package directory and the resource folders (a non-editable install
must work away from the checkout)."""
from __future__ import annotations

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
    assert config["package-dir"] == {"publisher.schema_files": "schemas", "publisher.site_template": "site_template"}
