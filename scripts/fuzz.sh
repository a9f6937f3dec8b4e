#!/usr/bin/env bash
# Fuzzes the decoders: `scripts/fuzz.sh [TARGET|all] [SECONDS]` (default all, 30 s each).
#
# Builds `billing-fuzz` with libFuzzer and AddressSanitizer in release, in its own
# scratch path (.build-fuzz/, so the shared .build is untouched), then runs each
# target (Sources/FuzzTargets/FuzzTarget.swift lists them) for SECONDS with its
# committed corpus fuzz/corpus/<target>/ as seeds. New inputs libFuzzer finds go
# to fuzz/new/<target>/, crashes and broken invariants to fuzz/crashes/<target>/
# (both git-ignored; copy a small interesting input into the corpus to keep it).
# Prints execs/s, coverage and the result per target; exits 1 if any target
# crashed. Not run in CI (too slow); the corpus is replayed by FuzzCorpusTests.
#
# FUZZ_SANITIZE=fuzzer runs without AddressSanitizer (about 2x faster).
# FUZZ_FLAGS adds libFuzzer flags (e.g. "-max_len=65536 -jobs=2").
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
targets=(xray_body window_page observations vm_metrics fixture_lines rfc3339 config price_book audit_line database_url)
which=${1:-all}
seconds=${2:-30}
sanitize=${FUZZ_SANITIZE:-fuzzer,address}
if [[ "$which" != all ]]; then
    if [[ ! " ${targets[*]} " == *" $which "* ]]; then
        echo "fuzz.sh: unknown target $which (one of: ${targets[*]}, all)" >&2
        exit 2
    fi
    targets=("$which")
fi

echo "fuzz.sh: building billing-fuzz (release, -sanitize=$sanitize) in .build-fuzz" >&2
swift build --scratch-path .build-fuzz -c release -Xswiftc "-sanitize=$sanitize" -Xswiftc -DBILLING_FUZZ \
    --product billing-fuzz 2>&1 | grep -E "error|warning: unre|Build|Compiling" | tail -5 >&2
binary=.build-fuzz/release/billing-fuzz
[[ -x "$binary" ]] || { echo "fuzz.sh: build failed" >&2; exit 1; }

failed=0
printf '%-14s %8s %10s %8s %6s %6s  %s\n' target seconds execs execs/s cov corpus result
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target" "fuzz/new/$target" "fuzz/crashes/$target"
    log=$(mktemp)
    start=$(date +%s)
    status=0
    # New inputs go to the first (ignored) folder; the committed corpus is only read.
    # -max_len: bodies up to 16 KiB reach every branch; longer ones only cost time.
    FUZZ_TARGET=$target ASAN_OPTIONS=detect_leaks=0 "$binary" "fuzz/new/$target" "fuzz/corpus/$target" \
        -max_total_time="$seconds" -max_len=16384 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="fuzz/crashes/$target/" ${FUZZ_FLAGS:-} >"$log" 2>&1 || status=$?
    elapsed=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1 || true)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1 || true)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
    corpus=$(grep -oE 'corp: [0-9]+' "$log" | tail -1 | cut -d' ' -f2 || true)
    if [[ $status -eq 0 ]]; then
        result=ok
    else
        failed=1
        artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1 || true)
        reason=$(grep -m1 -E 'invariant broken|ERROR: (AddressSanitizer|libFuzzer)|Fatal error|SUMMARY' "$log" || true)
        result="FAILED ($reason) input: ${artifact:-see $log}"
        cp "$log" "fuzz/crashes/$target/last-run.log"
    fi
    printf '%-14s %8s %10s %8s %6s %6s  %s\n' "$target" "$elapsed" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${corpus:-?}" "$result"
    rm -f "$log"
done
exit $failed
