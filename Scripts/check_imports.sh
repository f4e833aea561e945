#!/usr/bin/env bash
# Checks that every Swift target's imports match its declared dependencies in Package.swift.
#
# usage: Scripts/check_imports.sh [PACKAGE_DIR]       (default: the package this script is in)
#        Scripts/check_imports.sh --dump FILE.json [PACKAGE_DIR]   (a saved `swift package dump-package`)
#
# For each Swift target (regular, executable, test, macro) it collects the modules that the
# target's .swift files import (`import X`, `@testable import X`, `import struct X.Y`, ...),
# leaves out toolchain modules (Foundation, Glibc, XCTest, Testing, ...; a package target of
# the same name, such as our Distributed, always counts as the target) and reports
#   undeclared  a module imported by a target that does not list it in `dependencies:`;
#   unused      a dependency listed but imported by no file of the target (dependencies on
#               executable targets are exempt: test targets list `cocoop` to get it built);
#   C in CLI    an executable target importing a system-library (C) module: C goes through
#               a Swift wrapper module (Tensor, Imaging, Gunzip, HDF5, Distributed, Config).
# The declared side comes from `swift package dump-package`. Exit status: 0 when clean,
# 1 when anything is reported, 2 when the package cannot be read.
set -euo pipefail

dump=""
package_dir="$(cd "$(dirname "$0")/.." && pwd)"
case "${1:-}" in
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    --dump) dump="${2:?--dump needs a file}"; [[ $# -ge 3 ]] && package_dir="$(cd "$3" && pwd)" ;;
    "") ;;
    *) package_dir="$(cd "$1" && pwd)" ;;
esac

if [[ -z "$dump" ]]; then
    dump="$(mktemp)"
    trap 'rm -f "$dump"' EXIT
    if ! (cd "$package_dir" && swift package dump-package) >"$dump"; then
        echo "check_imports: 'swift package dump-package' failed in $package_dir" >&2
        exit 2
    fi
fi

exec python3 - "$package_dir" "$dump" <<'PY'
import json, os, re, sys

root, dump_file = sys.argv[1], sys.argv[2]
with open(dump_file) as f:
    package = json.load(f)

# Modules that come with the toolchain or the OS (never declared in Package.swift).
TOOLCHAIN = {
    "Swift", "_Concurrency", "_StringProcessing", "_Differentiation", "RegexBuilder",
    "Synchronization", "Observation", "Distributed", "Cxx", "CxxStdlib", "SwiftShims",
    "Foundation", "FoundationEssentials", "FoundationInternationalization",
    "FoundationNetworking", "FoundationXML", "CoreFoundation", "Dispatch",
    "Glibc", "SwiftGlibc", "Musl", "Bionic", "Android", "WASILibc", "Darwin", "ucrt", "WinSDK",
    "XCTest", "Testing", "os", "ObjectiveC",
}
SWIFT_KINDS = {"regular", "executable", "test", "macro"}

targets = {t["name"]: t for t in package["targets"]}
# A product dependency names a product; take its name as the module (true for single-module
# products, which is all this package could use without a second name).
def dependency_name(dep):
    for kind in ("byName", "target", "product"):
        if kind in dep:
            return dep[kind][0]
    raise SystemExit(f"check_imports: unknown dependency form {dep}")

def target_dir(t):
    if t.get("path"):
        return os.path.join(root, t["path"])
    return os.path.join(root, "Tests" if t["type"] == "test" else "Sources", t["name"])

IMPORT = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*"                  # @testable, @_exported, @preconcurrency ...
    r"(?:(?:public|package|internal|fileprivate|private)\s+)?"
    r"import\s+(?:(?:typealias|struct|class|enum|protocol|let|var|func)\s+)?"
    r"([A-Za-z_][A-Za-z0-9_]*)")

def imports_of(path):
    """(module, line) for each import statement outside comments and multi-line strings."""
    found, in_block, in_string = [], 0, False
    with open(path, encoding="utf-8", errors="replace") as f:
        for number, line in enumerate(f, 1):
            if in_string:
                if '"""' in line:
                    in_string = False
                continue
            if in_block:
                in_block += line.count("/*") - line.count("*/")
                continue
            stripped = line.strip()
            if stripped.startswith("/*"):
                in_block = line.count("/*") - line.count("*/")
                continue
            if line.count('"""') % 2 == 1:
                in_string = True
                continue
            m = IMPORT.match(line)
            if m:
                found.append((m.group(1), number))
    return found

def swift_files(t):
    base = target_dir(t)
    if not os.path.isdir(base):
        raise SystemExit(f"check_imports: target {t['name']}: no folder {os.path.relpath(base, root)}")
    excluded = [os.path.normpath(os.path.join(base, e)) for e in t.get("exclude") or []]
    sources = [os.path.normpath(os.path.join(base, s)) for s in t.get("sources") or []]
    for folder, dirs, files in os.walk(base):
        dirs.sort()
        for name in sorted(files):
            path = os.path.normpath(os.path.join(folder, name))
            if not name.endswith(".swift"):
                continue
            if any(path == e or path.startswith(e + os.sep) for e in excluded):
                continue
            if sources and not any(path == s or path.startswith(s + os.sep) for s in sources):
                continue
            yield path

problems = 0
def report(kind, message):
    global problems
    problems += 1
    print(f"{kind:<11} {message}")

for t in package["targets"]:
    if t["type"] not in SWIFT_KINDS:
        continue
    name = t["name"]
    declared = [dependency_name(d) for d in t.get("dependencies", [])]
    used = {}  # module -> first (file, line)
    for path in swift_files(t):
        for module, line in imports_of(path):
            if module == name or (module in TOOLCHAIN and module not in targets):
                continue
            used.setdefault(module, (os.path.relpath(path, root), line))
    for module, (path, line) in sorted(used.items()):
        if module not in declared:
            report("undeclared", f"{name}: imports {module} ({path}:{line})")
        if t["type"] == "executable" and targets.get(module, {}).get("type") == "system":
            report("C in CLI", f"{name}: imports the C module {module} ({path}:{line})")
    for dep in declared:
        if dep in used or targets.get(dep, {}).get("type") == "executable":
            continue
        report("unused", f"{name}: declares {dep} but no file imports it")

if problems:
    print(f"check_imports: {problems} problem(s); fix the imports or the dependencies in Package.swift")
    sys.exit(1)
swift_targets = sum(t["type"] in SWIFT_KINDS for t in package["targets"])
print(f"check_imports: the imports of all {swift_targets} Swift targets match Package.swift")
PY
