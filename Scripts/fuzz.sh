#!/usr/bin/env bash
# Fuzzes cocoop-swift's readers with libFuzzer and the address sanitizer.
#
# usage: Scripts/fuzz.sh TARGET|all [SECONDS]    (SECONDS per target, default 25)
#        Scripts/fuzz.sh --list
#
# Builds the cocoop-fuzz harness (Tests/Fuzz/Harness) into .build/fuzz with
# -sanitize=fuzzer,address (the normal build is untouched), then runs each target for
# SECONDS on a working copy of its seeds (Tests/Fuzz/corpus/TARGET) plus the inputs of past
# bugs (Tests/Fuzz/regressions/TARGET). Any crash, sanitizer report or hang (over 10 s on one
# input) fails the run; the input is left in .build/fuzz/crashes/ and named in the output.
# Every crash found becomes a fix plus a file under Tests/Fuzz/regressions/TARGET.
# The toolchain's clang runtime (libclang_rt.fuzzer, libclang_rt.asan) and lld link it.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(safetensors clip-weights config split checkpoint pack image tokenizer torch weight-cache)
case "${1:-}" in
    --list) printf '%s\n' "${TARGETS[@]}"; exit 0 ;;
    ""|-h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
    all) selected=("${TARGETS[@]}") ;;
    *) [[ " ${TARGETS[*]} " == *" $1 "* ]] || { echo "fuzz: unknown target '$1' (--list)" >&2; exit 2; }
       selected=("$1") ;;
esac
seconds="${2:-25}"

# libFuzzer and ASan come with the swift.org toolchain (its clang runtime); the link uses the
# toolchain's default linker (gold, from Debian's binutils, which Swift itself needs).
resources=$(swift -print-target-info \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["paths"]["runtimeResourcePath"])')
if ! ls "$resources"/clang/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
    echo "fuzz: this Swift toolchain has no libFuzzer runtime ($resources/clang/lib/linux/libclang_rt.fuzzer-*.a);" \
         "install the swift.org toolchain for Linux, which ships it" >&2
    exit 1
fi
command -v ld.gold >/dev/null || { echo "fuzz: no ld.gold: apt-get install binutils" >&2; exit 1; }

scratch=.build/fuzz
echo "fuzz: building the harness in $scratch"
build_log="$scratch/build.log"
mkdir -p "$scratch"
if ! swift build --scratch-path "$scratch" -c debug --product cocoop-fuzz \
        --sanitize=fuzzer --sanitize=address -Xswiftc -DFUZZING >"$build_log" 2>&1; then
    tail -40 "$build_log" >&2
    echo "fuzz: the harness did not build (all of it in $build_log)" >&2
    exit 1
fi
binary="$scratch/debug/cocoop-fuzz"

failed=()
mkdir -p "$scratch/crashes"
for target in "${selected[@]}"; do
    work="$scratch/corpus/$target"
    mkdir -p "$work"
    cp -n Tests/Fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
    inputs=("$work")
    [[ -d Tests/Fuzz/regressions/$target ]] && inputs+=("Tests/Fuzz/regressions/$target")
    log="$scratch/$target.log"
    max_len=65536
    [[ $target == clip-weights ]] && max_len=262144  # a whole (tiny) CLIP is 230 kB
    echo "fuzz: $target for ${seconds}s"
    # Leaks are not bugs here (HDF5 and libyaml keep caches), so leak checking is off.
    if COCOOP_FUZZ_TARGET="$target" ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1 "$binary" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 -max_len="$max_len" -print_final_stats=1 \
        -artifact_prefix="$scratch/crashes/$target-" "${inputs[@]}" >"$log" 2>&1; then
        grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$log" | sed "s/^/fuzz: $target: /" || true
        execs=$(grep -oE "exec/s: [0-9]+" "$log" | tail -1 || true)
        echo "fuzz: $target: ok ($execs)"
    else
        echo "fuzz: $target: FAILED; the last lines of $log:" >&2
        tail -40 "$log" >&2
        failed+=("$target")
    fi
done
if ((${#failed[@]})); then
    echo "fuzz: failures in ${failed[*]} (inputs in $scratch/crashes/)" >&2
    exit 1
fi
echo "fuzz: ${#selected[@]} target(s) ran ${seconds}s each without a crash"
