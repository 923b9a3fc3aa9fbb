#!/usr/bin/env bash
# Development-only: regenerate test/fixtures/g2p/<tag>/{tuning,heldout}.json with misaki 0.9.4
# (see misaki_reference_lang.py for the Python set-up). Usage: make-lang-fixtures.sh [TAG...]
# (default: every language folder that has sentences.txt). Re-run after changing
# engine/text/lang/normalize-lang.ts.
set -euo pipefail
cd "$(dirname "$0")/../.."
PY=${MISAKI_PYTHON:-/tmp/misaki-venv/bin/python}
npx tsc -p . >/dev/null || true
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
langs=("$@")
if [ ${#langs[@]} -eq 0 ]; then
  for d in test/fixtures/g2p/*/; do [ -f "$d/sentences.txt" ] && langs+=("$(basename "$d")"); done
fi
for lang in "${langs[@]}"; do
  dir=test/fixtures/g2p/$lang
  for set in tuning heldout; do
    src=$dir/$( [ "$set" = tuning ] && echo sentences || echo heldout ).txt
    node dist/engine/text/lang/normalize-lang-cli.js "$lang" < "$src" > "$tmp/norm.txt"
    "$PY" scripts/g2p/misaki_reference_lang.py "$lang" "$src" "$dir/$set.json" "$tmp/norm.txt"
  done
  if [ "$lang" = ja ]; then "$PY" scripts/g2p/misaki_num2kana_ja.py "$dir/num2kana.json"; fi
done
