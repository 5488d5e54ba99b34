#!/usr/bin/env bash
# A nightly-length fuzzing run: the properties of tests/test_fuzz.py with many more examples
# (20,000 each unless VOICESHOP_FUZZ_EXAMPLES says otherwise). Any failure prints the smallest input.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
VOICESHOP_FUZZ=nightly .venv/bin/python -m pytest -q -p no:randomly tests/test_fuzz.py --hypothesis-show-statistics "$@"
