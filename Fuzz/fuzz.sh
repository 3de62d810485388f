#!/usr/bin/env bash
# Builds and runs Concord's fuzz targets (libFuzzer with AddressSanitizer).
# See docs/fuzzing.md.
#
#   Fuzz/fuzz.sh build                  build every target (debug, -sanitize=fuzzer,address)
#   Fuzz/fuzz.sh run SECONDS [TARGET…]  fuzz each target (all by default) for SECONDS
#   Fuzz/fuzz.sh smoke [SECONDS]        build, then run each target briefly (default 5 s)
#   Fuzz/fuzz.sh seeds [TARGET…]        rewrite Corpus/TARGET/ from each target's seeds
#   Fuzz/fuzz.sh list                   print the targets
#
# Environment: FUZZ_CONFIGURATION=release builds optimised (slower to build,
# faster to fuzz); FUZZ_JOBS=N runs N fuzzing processes per target.
# New inputs found while fuzzing go to Fuzz/.work/TARGET/ (not committed);
# crashes to Fuzz/findings/ as crash-… files that reproduce with
#   Fuzz/.build/debug/fuzz-TARGET Fuzz/findings/crash-…
set -euo pipefail
cd "$(dirname "$0")"

configuration="${FUZZ_CONFIGURATION:-debug}"
jobs="${FUZZ_JOBS:-1}"
# The Swift runtime's crash backtracer would hold every crash for a long
# symbolication; libFuzzer and AddressSanitizer report crashes themselves.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"

targets() {
    for directory in Sources/fuzz-*/; do
        basename "$directory" | sed 's/^fuzz-//'
    done
}

build() {
    # --sanitize fuzzer makes SwiftPM link libFuzzer's main; the Swift
    # flag instruments the code for coverage and AddressSanitizer at once
    # (given as two separate flags, only one of them takes effect).
    swift build --scratch-path .build -c "$configuration" --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address 2>&1 \
        | grep -v "ld.gold: warning: Cannot export local symbol"
}

binary() { echo ".build/$configuration/fuzz-$1"; }

run() {
    local seconds="$1"
    shift
    local selected=("$@")
    [ ${#selected[@]} -eq 0 ] && mapfile -t selected < <(targets)
    mkdir -p findings
    local failed=()
    for target in "${selected[@]}"; do
        [ -d "Sources/fuzz-$target" ] || { echo "no such target: $target" >&2; exit 2; }
        mkdir -p ".work/$target"
        echo "== fuzz-$target for ${seconds}s"
        local parallel=()
        # Several jobs write their logs to fuzz-N.log in the current folder.
        [ "$jobs" -gt 1 ] && parallel=(-jobs="$jobs" -workers="$jobs")
        if ! (cd .work && "../$(binary "$target")" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
            -print_final_stats=1 "${parallel[@]}" -artifact_prefix="../findings/$target-" "$target" "../Corpus/$target") \
            > ".work/$target.log" 2>&1; then
            failed+=("$target")
            tail -40 ".work/$target.log"
        else
            grep -E "^stat::number_of_executed_units|^stat::new_units_added|^Done" ".work/$target.log" || true
        fi
    done
    if [ ${#failed[@]} -gt 0 ]; then
        echo "fuzzing found crashes in: ${failed[*]} (inputs in Fuzz/findings/)" >&2
        exit 1
    fi
}

seeds() {
    local selected=("$@")
    [ ${#selected[@]} -eq 0 ] && mapfile -t selected < <(targets)
    for target in "${selected[@]}"; do
        rm -rf "Corpus/$target"
        mkdir -p "Corpus/$target"
        CONCORD_FUZZ_WRITE_SEEDS="$PWD/Corpus/$target" "$(binary "$target")"
        echo "Corpus/$target: $(ls "Corpus/$target" | wc -l) seeds"
    done
}

command="${1:-}"
shift || true
case "$command" in
build) build ;;
run) [ $# -ge 1 ] || { echo "usage: $0 run SECONDS [TARGET...]" >&2; exit 2; }; run "$@" ;;
smoke) build; run "${1:-5}" ;;
seeds) seeds "$@" ;;
list) targets ;;
*) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
