#!/usr/bin/env bash
# Installs moto's S3-compatible server (PyPI moto[server], pinned in tests/s3/requirements.txt)
# into target/moto-venv, for the s3 state-backend tests (tests/cli/s3.rs).
# Idempotent: reused while tests/s3/requirements.txt is unchanged (a second run takes well
# under a second). Prints the path of the `moto_server` executable on stdout (everything else
# goes to stderr).
#
#   bin=$(bash tests/s3/setup.sh) && MCPFORM_TEST_MOTO_BIN=$bin cargo test --test cli s3_
set -euo pipefail
cd "$(dirname "$0")/../.."

REQUIREMENTS=tests/s3/requirements.txt
VENV=target/moto-venv
BIN="$VENV/bin/moto_server"

if cmp -s "$REQUIREMENTS" "$VENV/requirements.txt" && [[ -x "$BIN" ]]; then
    echo "$PWD/$BIN"
    exit 0
fi

start=$SECONDS
echo "tests/s3/setup.sh: installing $(grep -v '^#' "$REQUIREMENTS" | xargs) into $VENV" >&2
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS" >&2
"$BIN" --help >/dev/null
cp "$REQUIREMENTS" "$VENV/requirements.txt"
echo "tests/s3/setup.sh: installed in $((SECONDS - start)) s" >&2
echo "$PWD/$BIN"
