#!/usr/bin/env bash
# The benchmarks: `scripts/bench.sh [all|metering|replay|memory|rating|pull|ledger]
# [--facts N] [--subjects N] [--sources N] [--accounts N] [--write-facts N] [--ledger-facts N] [--queries N]`.
# Builds billing-bench in release and runs it with a real PostgreSQL (scripts/with-postgres.sh: DATABASE_URL when reachable,
# a throwaway cluster otherwise). Figures go to BENCHMARKS.md by hand, with the
# command that made them.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
swift build -c release --product billing-bench
exec scripts/with-postgres.sh .build/release/billing-bench "$@"
