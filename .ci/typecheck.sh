#!/usr/bin/env bash
# mypy on the installed layout (engine/ and tui/ are memtop.engine and memtop.tui only once
# installed, and mypy cannot follow an editable install's import hook): a tree of links laid out
# as installed; its paths are turned back into the repository's in what mypy says.
# Usage: .ci/typecheck.sh [path/to/mypy]   (what it checks: pyproject.toml's [tool.mypy])
set -euo pipefail
cd "$(dirname "$0")/.."
cache="$PWD/.mypy_cache"
tree="$cache/tree"  # one place, so mypy's cache stays valid from run to run
rm -rf "$tree"
mkdir -p "$tree/memtop"
for entry in memtop/*; do ln -s "$PWD/$entry" "$tree/memtop/"; done
ln -s "$PWD/engine" "$tree/memtop/engine"
ln -s "$PWD/tui" "$tree/memtop/tui"
mypy=$(realpath "$(command -v "${1:-mypy}")")
status=0
(cd "$tree" && "$mypy" --config-file "$OLDPWD/pyproject.toml" --cache-dir "$cache") \
    > "$cache/said" 2>&1 || status=$?
sed -e "s#memtop/engine/#engine/#g; s#memtop/tui/#tui/#g" "$cache/said"
exit $status
