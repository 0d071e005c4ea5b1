#!/usr/bin/env bash
# SmolVLM2-256M's image path on this machine, measured by llama.cpp's own llama-mtmd-cli (built from the same
# source) on the synthesized smolvlm2-256m preset: for each image shape, the slices llama.cpp cuts it into, the
# time to encode them through the vision tower, to prefill their tokens, and the image's share of a request
# that then generates 16 tokens. Its timing lines (-v) are what is summed.
#
#   bench/vision.sh [THREADS]
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
threads="${1:-$(nproc)}"
"$root/scripts/setup.sh" llmsweep llama-mtmd-cli >/dev/null
build="${LLMSWEEP_BUILD_DIR:-$root/build}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$build/src/llmsweep" synth --preset smolvlm2-256m -o "$work/m.gguf" >/dev/null
echo "| image | slices (grid + overview) | image tokens | encode, s | per slice, ms | image-token prefill, s | request, s | image's share |"
echo "|---|---|---|---|---|---|---|---|"
for shape in 256x256 512x512 1024x1024 2048x2048 2048x512; do
    width=${shape%x*} height=${shape#*x}
    # A binary PPM with a gradient, which llama.cpp reads through stb_image.
    python3 - "$work/$shape.ppm" "$width" "$height" <<'PY'
import sys
path, w, h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
row = bytes((x * 7) % 256 for x in range(w) for _ in range(3))
with open(path, "wb") as f:
    f.write(b"P6\n%d %d\n255\n" % (w, h))
    for _ in range(h):
        f.write(row)
PY
    "$build/bin/llama-mtmd-cli" -m "$work/m.gguf" --mmproj "$work/mmproj-smolvlm2-256m-f16.gguf" \
        --image "$work/$shape.ppm" -p describe -n 16 -t "$threads" --chat-template chatml -v >"$work/$shape.log" 2>&1
    awk -v shape="$shape" '
        /grid size:/ { for (i = 1; i <= NF; ++i) if ($i == "size:") grid = $(i + 1) "x" $(i + 3) }
        /mtmd batch encoding done in/ { encode += $(NF - 1); slices++ }
        /image decoded \(batch/ { prefill += $(NF - 1) }
        /encoding batch with 1 entries and total/ { tokens += $(NF - 1) }
        /llama_perf_context_print: *total time/ { for (i = 1; i <= NF; ++i) if ($i == "=") total = $(i + 1) }
        END {
            printf "| %s | %d (%s + 1) | %d | %.1f | %.0f | %.1f | %.1f | %.0f %% |\n", shape, slices, grid, tokens,
                encode / 1000, encode / slices, prefill / 1000, total / 1000, 100 * (encode + prefill) / total
        }' "$work/$shape.log"
done
