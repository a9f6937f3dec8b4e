#!/usr/bin/env bash
# Creates the test suite's Python virtual environment: `scripts/python-env.sh [DIR]`
# (default .venv-test/ in the repository, git-ignored) with schemathesis pinned,
# and prints the directory. Does nothing when DIR already has the pinned version,
# so scripts/test.sh can call it on every run. Needs python3 with venv and PyPI.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${1:-$root/.venv-test}
# The version SchemathesisTests was written against (its CLI flags and check names).
pin="schemathesis==4.32.5"

if [[ -x "$venv/bin/schemathesis" ]] && "$venv/bin/python" -m pip show schemathesis 2>/dev/null \
    | grep -qx "Version: ${pin#*==}"; then
    echo "$venv"
    exit 0
fi
echo "python-env: creating $venv with $pin" >&2
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$pin" >&2
echo "$venv"
