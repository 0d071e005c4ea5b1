#!/usr/bin/env bash
# Rewrites the generated end of docs/usage.md ("## Every command's options") from the built llmsweep's help,
# after a command or an option changed; the tests fail while the file is out of date.
#   scripts/usage.sh [LLMSWEEP]      default: build/src/llmsweep
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
llmsweep=${1:-$root/build/src/llmsweep}
doc="$root/docs/usage.md"
guide=$(sed "/^## Every command's options$/,\$d" "$doc")
{ printf '%s\n\n' "$guide"; "$llmsweep" usage; } > "$doc.partial"
mv "$doc.partial" "$doc"
echo "wrote $doc"
