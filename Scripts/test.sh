#!/usr/bin/env bash
# The test command: installs what is missing (Scripts/setup.sh), builds, checks that every
# target's imports match Package.swift (Scripts/check_imports.sh), runs every test.
# Tests read reference fixtures from ../shared/fixtures when the small copies in
# Tests/Fixtures are not enough (the float32 tiny-CLIP weights).
set -euo pipefail
cd "$(dirname "$0")/.."
Scripts/setup.sh
swift build --build-tests
Scripts/check_imports.sh
swift test --skip-build "$@"
