#!/usr/bin/env bash
# Creates the test suite's Python virtual environment: `scripts/python-env.sh [DIR]`
# (default .venv-test/ in the repository, git-ignored) with its pinned packages,
# and prints the directory. Does nothing when DIR already has the pinned
# versions, so scripts/test.sh can call it on every run. Needs python3 with
# venv and PyPI.
#
# Besides schemathesis it holds the official Connect client (`connectrpc`) and
# the Python stubs of proto/billing/v1/billing.proto in DIR/stubs/ (made with
# grpcio-tools' protoc, protoc-gen-py and protoc-gen-connectrpc; remade when
# the .proto changes), which the Connect end-to-end tests import.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv=${1:-$root/.venv-test}
# The versions the tests were written against (schemathesis' CLI flags and check
# names; connectrpc's client API and its protobuf-py runtime).
pins=(
    "schemathesis==4.32.5"
    "connectrpc==0.13.0"
    "protoc-gen-connectrpc==0.13.0"
    "protoc-gen-py==0.7.0"
    "grpcio-tools==1.85.1"
)

pinned() {
    [[ -x "$venv/bin/python" ]] || return 1
    local installed
    installed=$("$venv/bin/python" -m pip freeze --disable-pip-version-check 2>/dev/null) || return 1
    local pin
    for pin in "${pins[@]}"; do
        grep -qix "$pin" <<<"$installed" || return 1
    done
}

if ! pinned; then
    echo "python-env: creating $venv with ${pins[*]}" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" >&2
fi

proto=$root/proto/billing/v1/billing.proto
stubs=$venv/stubs
stamp=$(sha256sum "$proto" | cut -d' ' -f1)
if [[ ! -f "$stubs/.stamp" || "$(cat "$stubs/.stamp")" != "$stamp" ]]; then
    echo "python-env: generating the Connect stubs of $proto in $stubs" >&2
    rm -rf "$stubs"
    mkdir -p "$stubs"
    include=$("$venv/bin/python" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')
    PATH="$venv/bin:$PATH" "$venv/bin/python" -m grpc_tools.protoc -I "$root/proto" -I "$include" \
        --py_out="$stubs" --connectrpc_out="$stubs" "$proto" >&2
    echo "$stamp" >"$stubs/.stamp"
fi
echo "$venv"
