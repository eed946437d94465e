#!/usr/bin/env bash
# Gradescope setup: the tools the grader needs, on Gradescope's Ubuntu/Debian image.
# The kit itself (with solutions/) is in /autograder/source (see grader/README.md).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
    build-essential pkg-config libcriterion-dev valgrind python3 \
    bubblewrap util-linux procps iproute2 binutils make
