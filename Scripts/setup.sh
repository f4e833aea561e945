#!/usr/bin/env bash
# Installs what cocoop-swift needs on a fresh Debian machine that has the Swift toolchain.
# As root it installs missing apt packages; otherwise it names the command to run.
set -euo pipefail

PACKAGES=(libopenmpi-dev openmpi-bin libopenblas-dev libhdf5-dev hdf5-tools libyaml-dev
          libturbojpeg0-dev libjpeg62-turbo-dev libpng-dev zlib1g-dev pkg-config libdnnl-dev
          dataset-fashion-mnist)  # real images for the demo and the demo-model tests

if ! command -v swift >/dev/null 2>&1; then
    echo "setup: the Swift toolchain (6.x) is not on PATH; install it from swift.org first." >&2
    exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]]; then
        echo "setup: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
        echo "setup: missing Debian packages: ${missing[*]}" >&2
        echo "       run: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
        exit 1
    fi
fi

# Python side of the tests: TensorBoard's own event reader checks our event files.
if ! python3 -c "import tensorboard" >/dev/null 2>&1; then
    echo "setup: installing the tensorboard Python package (used by the tests to read our event files)"
    python3 -m pip install --quiet --disable-pip-version-check tensorboard >/dev/null 2>&1 \
        || { echo "setup: could not install tensorboard: run 'python3 -m pip install tensorboard'" >&2; exit 1; }
fi
