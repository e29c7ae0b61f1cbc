#!/usr/bin/env bash
# Installs the real standalone Idun server (PyPI idun-agent-engine, pinned) into
# target/idun-venv, for the conformance suite in tests/cli/idun_real.rs.
# Idempotent: a second run with the pinned version already installed takes well under a second.
# Prints the path of the `idun` executable on stdout (everything else goes to stderr).
#
#   bin=$(bash tests/idun/setup.sh) && MCPFORM_IDUN_BIN=$bin cargo test --test cli idun_real
set -euo pipefail
cd "$(dirname "$0")/../.."

VERSION=0.6.4
VENV=target/idun-venv
STAMP="$VENV/.idun-agent-engine-$VERSION"

if [[ -f "$STAMP" && -x "$VENV/bin/idun" ]]; then
    echo "$PWD/$VENV/bin/idun"
    exit 0
fi

# The package uses Python 3.12-only syntax: 3.11 cannot import it.
python=""
for candidate in "${IDUN_PYTHON:-}" "$HOME"/.pyenv/versions/3.12*/bin/python3 "$(command -v python3.12 || true)"; do
    if [[ -n "$candidate" && -x "$candidate" ]] \
        && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null; then
        python=$candidate
        break
    fi
done
if [[ -z "$python" ]]; then
    echo "tests/idun/setup.sh: no Python 3.12 found (looked at \$IDUN_PYTHON, ~/.pyenv/versions/3.12*/bin/python3 and python3.12 on PATH); idun-agent-engine $VERSION needs 3.12" >&2
    exit 1
fi

start=$SECONDS
echo "tests/idun/setup.sh: installing idun-agent-engine==$VERSION with $python into $VENV" >&2
rm -rf "$VENV"
"$python" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check uv >&2
# uv resolves the ~230 dependencies in seconds; pip backtracks for minutes.
"$VENV/bin/uv" pip install --quiet --python "$VENV/bin/python" "idun-agent-engine==$VERSION" >&2
"$VENV/bin/idun" --help >/dev/null
touch "$STAMP"
echo "tests/idun/setup.sh: installed in $((SECONDS - start)) s" >&2
echo "$PWD/$VENV/bin/idun"
