#!/usr/bin/env bash
# Development-only: regenerate test/fixtures/g2p/{tuning,heldout}.json with misaki (see
# misaki_reference.py for the Python set-up). Re-run after changing engine/text/normalize.ts.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${MISAKI_PYTHON:-/tmp/misaki-venv/bin/python}
npx tsc -p . >/dev/null || true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for set in tuning heldout; do
  src=test/fixtures/g2p/$( [ "$set" = tuning ] && echo sentences || echo heldout ).txt
  node dist/engine/text/normalize-cli.js en-us < "$src" > "$tmp/us.txt"
  node dist/engine/text/normalize-cli.js en-gb < "$src" > "$tmp/gb.txt"
  "$PY" scripts/g2p/misaki_reference.py "$src" "test/fixtures/g2p/$set.json" "$tmp/us.txt" "$tmp/gb.txt"
done
