#!/usr/bin/env bash
# The demo command: installs what is missing, builds the release binary and runs the
# main job on the embedded default. Until the trainer exists, it runs what exists:
# the library report and the tensor core's GEMM benchmark.
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build -c release --product cocoop
BIN=.build/release/cocoop
$BIN --version
$BIN env
$BIN bench gemm --quick --reps 3
