#!/usr/bin/env bash
# Regenerates the Swift code of proto/billing/v1/billing.proto into
# Sources/Adapters/ConnectVMMetrics/Generated/ (committed): `scripts/generate-proto.sh`.
#
# protoc comes from PyPI's grpcio-tools in .venv-proto/ (git-ignored, made on
# the first run); protoc-gen-swift is built from apple/swift-protobuf at the
# version Package.swift pins, in .venv-proto/swift-protobuf/ (a first build
# takes several minutes; later runs reuse it). The Python stubs the tests use
# are made by scripts/python-env.sh, not here.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=$root/.venv-proto
grpc_tools_pin="grpcio-tools==1.85.1"
swift_protobuf_version="1.39.0"
out=$root/Sources/Adapters/ConnectVMMetrics/Generated

if [[ ! -x "$tools/bin/python" ]] || ! "$tools/bin/python" -m pip show grpcio-tools 2>/dev/null \
    | grep -qx "Version: ${grpc_tools_pin#*==}"; then
    echo "generate-proto: creating $tools with $grpc_tools_pin" >&2
    python3 -m venv "$tools"
    "$tools/bin/python" -m pip install --quiet --disable-pip-version-check "$grpc_tools_pin" >&2
fi

# PROTOC_GEN_SWIFT names a protoc-gen-swift already built (of the same version).
plugin=${PROTOC_GEN_SWIFT:-}
plugin_src=$tools/swift-protobuf
if [[ -z "$plugin" && ! -d "$plugin_src" ]]; then
    git clone --quiet --depth 1 --branch "$swift_protobuf_version" https://github.com/apple/swift-protobuf "$plugin_src"
fi
plugin=${plugin:-$plugin_src/.build/release/protoc-gen-swift}
if [[ ! -x "$plugin" ]]; then
    echo "generate-proto: building protoc-gen-swift $swift_protobuf_version" >&2
    swift build --package-path "$plugin_src" -c release --product protoc-gen-swift >&2
fi

include=$("$tools/bin/python" -c 'import grpc_tools, os; print(os.path.join(os.path.dirname(grpc_tools.__file__), "_proto"))')
mkdir -p "$out"
rm -f "$out"/*.pb.swift
"$tools/bin/python" -m grpc_tools.protoc -I "$root/proto" -I "$include" \
    --plugin=protoc-gen-swift="$plugin" --swift_out="$out" --swift_opt=Visibility=Public --swift_opt=UseAccessLevelOnImports=true \
    "$root/proto/billing/v1/billing.proto"
# protoc-gen-swift mirrors the proto's folder; the target wants the file flat.
if [[ -f "$out/billing/v1/billing.pb.swift" ]]; then
    mv "$out/billing/v1/billing.pb.swift" "$out/billing.pb.swift"
    rm -rf "$out/billing"
fi
echo "generate-proto: wrote $out/billing.pb.swift" >&2
