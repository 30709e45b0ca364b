#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the protocol decoder and the persona loader, each for
# SECONDS (default 60), starting from the committed seed corpora in Fuzz/corpus. A crash, a
# sanitizer report or a timeout fails the run and leaves the input in Fuzz/findings.
#
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../Fuzz"
seconds=${1:-60}
# ld.gold fails on this build's debug info; lld links it.
swift build -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld 2>&1 | tail -1
mkdir -p findings
status=0
for target in protocol persona; do
    binary=.build/release/Fuzz${target^}
    work=$(mktemp -d)
    # New inputs go to the scratch directory; the committed corpus is read only.
    if ! "$binary" "$work" "corpus/$target" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=findings/"$target"- -print_final_stats=1 > "findings/$target.log" 2>&1; then
        echo "$target: FINDING, see Fuzz/findings/$target.log"
        status=1
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "findings/$target.log" | grep -o '[0-9]*$' || echo 0)
    coverage=$(grep -o 'cov: [0-9]*' "findings/$target.log" | tail -1 | grep -o '[0-9]*' || echo 0)
    features=$(grep -o 'ft: [0-9]*' "findings/$target.log" | tail -1 | grep -o '[0-9]*' || echo 0)
    echo "$target: $runs executions in ${seconds}s, coverage $coverage edges, $features features, corpus $(ls "$work" | wc -l) new inputs"
    rm -rf "$work"
done
exit $status
