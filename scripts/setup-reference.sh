#!/usr/bin/env bash
# Create .venv-ref/ with the Genesis Mesh reference implementation (genesis-mesh 1.8.1)
# and freezegun (to drive it at fixed times).
#
# The reference needs Python 3.12 while Handshake itself runs on 3.11, so it lives in its
# own virtualenv at the repository root. Idempotent: an existing venv with the right
# version is reused. Prints the reference interpreter path on the last line of stdout.
set -euo pipefail

REF_VERSION="1.8.1"
# freezegun pins the reference NA's clock while tests/interop/reference_tool.py drives it,
# so the corpus it writes is byte-identical from run to run.
FREEZEGUN_VERSION="1.5.5"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-ref"

find_python312() {
    local candidate root
    if command -v pyenv >/dev/null 2>&1 && root="$(pyenv root 2>/dev/null)"; then
        # Newest installed 3.12.x under pyenv, if any.
        for candidate in $(ls -d "$root"/versions/3.12*/bin/python3.12 2>/dev/null | sort -V -r); do
            if [ -x "$candidate" ]; then echo "$candidate"; return 0; fi
        done
    fi
    if candidate="$(command -v python3.12 2>/dev/null)" && "$candidate" -c 'import sys' 2>/dev/null; then
        echo "$candidate"; return 0
    fi
    return 1
}

venv_ok() {
    [ -x "$VENV/bin/python" ] || return 1
    "$VENV/bin/python" -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null || return 1
    [ "$("$VENV/bin/python" -c 'from importlib.metadata import version as v; print(v("genesis-mesh"), v("freezegun"))' 2>/dev/null)" = "$REF_VERSION $FREEZEGUN_VERSION" ]
}

if ! venv_ok; then
    if ! PY312="$(find_python312)"; then
        echo "setup-reference: no Python 3.12 found." >&2
        echo "  looked for \$(pyenv root)/versions/3.12*/bin/python3.12 and python3.12 on PATH;" >&2
        echo "  install one (e.g. 'pyenv install 3.12') and re-run." >&2
        exit 1
    fi
    echo "setup-reference: creating $VENV with $PY312" >&2
    rm -rf "$VENV"
    "$PY312" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet "genesis-mesh==$REF_VERSION" "freezegun==$FREEZEGUN_VERSION" >&2
    if ! venv_ok; then
        echo "setup-reference: genesis-mesh==$REF_VERSION / freezegun==$FREEZEGUN_VERSION did not install into $VENV" >&2
        exit 1
    fi
fi

echo "$VENV/bin/python"
