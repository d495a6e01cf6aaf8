#!/usr/bin/env bash
# import-linter on the installed layout: engine/ and tui/ are memtop.engine and memtop.tui only
# once installed (pyproject's package-dir), and import-linter reads packages from disk, so it
# reads a copy laid out as installed. Usage: .ci/lint_imports.sh [path/to/lint-imports]
set -euo pipefail
cd "$(dirname "$0")/.."
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
cp -r memtop "$tree/memtop"
cp -r engine "$tree/memtop/engine"
cp -r tui "$tree/memtop/tui"
cp -r themes "$tree/memtop/themes"
config="$PWD/pyproject.toml"
linter=$(realpath "$(command -v "${1:-lint-imports}")")
cd "$tree"  # import-linter looks in the working directory first
PYTHONPATH="$tree" "$linter" --config "$config" --no-cache --no-logo
