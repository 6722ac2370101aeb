#!/usr/bin/env bash
# The shared library must export exactly the functions its public headers
# declare with QP_EXTERN: nothing internal leaks, nothing declared is missing.
set -euo pipefail
lib=$1 include=$2
declared=$(grep -rhE '^[^#]*QP_EXTERN ' "$include" | grep -oE 'QP_EXTERN [^;(]*\(' \
  | sed -E 's/.*[ *]([a-z_0-9]+) *\($/\1/' | sort -u)
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort -u)
if [[ "$declared" != "$exported" ]]; then
  echo "exported symbols differ from the QP_EXTERN declarations:" >&2
  diff <(echo "$declared") <(echo "$exported") | sed 's/^</declared only:/; s/^>/exported only:/' >&2
  exit 1
fi
echo "symbols: $(echo "$declared" | wc -l) exported functions match the headers"
