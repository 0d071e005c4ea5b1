#!/usr/bin/env bash
# The GPU check, for a machine with an NVIDIA GPU that can fetch nothing (the device machine a session may be
# lent): llama.cpp built with CUDA for that GPU alone, llmsweep against it, then a compact sweep of
# qwen2.5-0.5b q8_0 over -ngl 0, half and all, -fa 0,1 and --mmap 0,1, natively and through
# --engine llama-bench, with the report. Two steps:
#
#   bench/gpu.sh pack          here, with the network: Debian 12's development packages llmsweep builds with, as
#                              .deb files, and the pinned llama.cpp's sources that the build needs, into .gpu/
#                              (ignored by git; about 30 MiB, to be carried to the device machine)
#   bench/gpu.sh run OUT       there: unpacks .gpu/ into a prefix (installing nothing), builds into build-gpu/,
#                              then sweeps (as below), within about 9 minutes on 16 cores
#   bench/gpu.sh sweep OUT BUILD  the sweeps, the vision tower on and off the GPU too, each database and report
#                              written into OUT as it ends
#   bench/gpu.sh run OUT offload  builds as run does, then (in place of the sweeps) the full-offload prompt rate
#                              natively, through --engine llama-bench and by llama-bench by hand, ten
#                              repetitions each: the first timed pp512 after one warm-up pays the CUDA graph capture
#
# The figures go into docs/benchmarks.md (section "GPU").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
pack="$root/.gpu"
# What llmsweep's CMakeLists finds (headers and CMake files), and the libraries it links, as Debian 12 names them.
dev=(libcli11-dev nlohmann-json3-dev libfmt-dev libtomlplusplus-dev libsqlite3-dev libcurl4-openssl-dev
     libboost1.74-dev libboost-math1.74-dev libcsv-dev libssl-dev zlib1g-dev)
runtime=(libfmt9 libtomlplusplus3 libsqlite3-0 libcurl4 libboost-math1.74.0 libcsv3 libssl3 zlib1g)

case "${1:-}" in
pack)
    rm -rf "$pack/debs"
    mkdir -p "$pack/debs"
    # The libraries with every library they need, but the C and C++ runtimes, which must be the machine's own.
    mapfile -t libraries < <(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts \
        --no-breaks --no-replaces --no-enhances --no-pre-depends "${runtime[@]}" | grep -v '^ ' | grep -v '<' |
        grep -vxE 'libc6|libgcc-s1|libstdc\+\+6|gcc-12-base' | sort -u)
    (cd "$pack/debs" && apt-get download "${dev[@]}" "${libraries[@]}")
    # The llama.cpp source the build reads: not its models, documentation or tests.
    src="$root/third_party/llama.cpp"
    [ -f "$src/include/llama.h" ] || "$root/scripts/fetch-llama.sh"
    tar -C "$src" -cf - --exclude=.git CMakeLists.txt cmake common ggml include src tools vendor licenses \
        | xz -T0 -6 > "$pack/llama.tar.xz"
    du -sh "$pack"
    ;;
run)
    out=${2:?"bench/gpu.sh run OUT: the folder for the results"}
    mkdir -p "$out"
    exec > >(tee "$out/gpu.log") 2>&1
    prefix=/tmp/llmsweep-prefix
    mkdir -p "$prefix" /tmp/llmsweep-llama
    for deb in "$pack"/debs/*.deb; do dpkg-deb -x "$deb" "$prefix"; done
    tar -C /tmp/llmsweep-llama -xJf "$pack/llama.tar.xz"
    libs="$prefix/usr/lib/x86_64-linux-gnu:$prefix/lib/x86_64-linux-gnu"
    export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
    nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader
    arch=$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d .)
    build="$root/build-gpu"
    time cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLLMSWEEP_BUILD_TESTS=OFF \
        -DCMAKE_PREFIX_PATH="$prefix/usr" -DCMAKE_INCLUDE_PATH="$prefix/usr/include" \
        -DCMAKE_LIBRARY_PATH="$prefix/usr/lib/x86_64-linux-gnu" -DLLMSWEEP_LLAMA_SOURCE=/tmp/llmsweep-llama \
        -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,${libs//:/ -Wl,-rpath-link,} -Wl,-rpath,$libs" \
        -DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="$arch-real" >/dev/null
    time cmake --build "$build" --target llmsweep llama-bench
    exec "$0" "${3:-sweep}" "$out" "$build"
    ;;
offload)
    out=${2:?"bench/gpu.sh offload OUT BUILD"} build=${3:?"bench/gpu.sh offload OUT BUILD"}
    mkdir -p "$out"
    set +e # each experiment on its own: one that fails leaves the others
    llmsweep="$build/src/llmsweep" bench="$build/bin/llama-bench"
    r=10
    [ "${QUICK:-0}" = 1 ] && r=2
    model=/tmp/qwen2.5-0.5b-q8_0.gguf
    "$llmsweep" synth --preset qwen2.5-0.5b --type q8_0 --seed 42 -o "$model"
    clocks() { nvidia-smi --query-gpu=clocks.sm,clocks.mem,temperature.gpu,power.draw --format=csv,noheader || true; }
    clocks
    # The same tests four ways: pp512 beside tg128 (one context for both natively, one per test in llama-bench),
    # pp512 alone, and by hand.
    for n in 0 128; do
        time "$llmsweep" run -m "$model" --mode split -ngl 99 -fa 0,1 -p 512 -n $n -r $r --no-roofline \
            --db "$out/native-n$n.db"
        "$bench" -m "$model" -ngl 99 -fa 0,1 -p 512 -n $n -r $r -o jsonl > "$out/by-hand-n$n.jsonl"
        time "$llmsweep" run -m "$model" --mode split -ngl 99 -fa 0,1 -p 512 -n $n -r $r --engine llama-bench \
            --llama-bench "$bench" --db "$out/llama-bench-n$n.db"
        clocks
    done
    # llama-bench by hand: threads, batch and a second prompt size, each one change from the default.
    "$bench" -m "$model" -ngl 99 -fa 1 -p 512,2048 -n 0 -r $r -t 1 -o jsonl > "$out/by-hand-t1.jsonl"
    "$bench" -m "$model" -ngl 99 -fa 1 -p 512 -n 0 -r $r -b 512 -ub 512 -o jsonl > "$out/by-hand-b512.jsonl"
    "$bench" -m "$model" -ngl 99 -fa 1 -p 512 -n 0 -r $r --poll 0 -o jsonl > "$out/by-hand-poll0.jsonl"
    "$llmsweep" run -m "$model" --mode split -ngl 99 -fa 1 -p 512,2048 -n 0 -r $r -t 1 --no-roofline \
        --db "$out/native-t1.db"
    for db in "$out"/*.db; do
        "$llmsweep" report --db "$db" --lang en --format md --no-charts --out "${db%.db}-report" || true
    done
    for f in "$out"/*.jsonl; do
        echo "== $f"
        python3 -c 'import json,sys
for l in open(sys.argv[1]):
    j=json.loads(l); print(j["n_prompt"], j["n_gen"], j["flash_attn"], j["n_threads"], j["n_batch"], round(j["avg_ts"]), [round(x) for x in j["samples_ts"]])' "$f" || true
    done
    clocks
    ;;
sweep)
    # The sweeps alone, with a built llmsweep and llama-bench (BUILD/src/llmsweep, BUILD/bin/llama-bench); on a
    # machine without a GPU they rehearse the script (QUICK=1: tiny sizes, one repetition).
    out=${2:?"bench/gpu.sh sweep OUT BUILD"} build=${3:?"bench/gpu.sh sweep OUT BUILD"}
    mkdir -p "$out"
    llmsweep="$build/src/llmsweep"
    "$llmsweep" info | tee "$out/info.txt"
    sizes=(-p 512 -n 128 -r 3) vision_sizes=(-p 32 -n 16 -r 3)
    if [ "${QUICK:-0}" = 1 ]; then sizes=(-p 16 -n 4 -r 1) vision_sizes=(-p 8 -n 2 -r 1); fi
    model=/tmp/qwen2.5-0.5b-q8_0.gguf
    "$llmsweep" synth --preset qwen2.5-0.5b --type q8_0 --seed 42 -o "$model"
    layers=$("$llmsweep" check "$model" -n 16 | sed -n 's/.* \([0-9][0-9]*\) layers.*/\1/p' | head -1)
    layers=${layers:-24}
    # shellcheck disable=SC2054 # the commas are llmsweep's lists of values
    grid=(-m "$model" --mode split -ngl "0,$((layers / 2)),99" -fa 0,1 --mmap 0,1 "${sizes[@]}")
    time "$llmsweep" run "${grid[@]}" --db "$out/native.db"
    "$llmsweep" report --db "$out/native.db" --compare n_gpu_layers --lang en --format md --no-charts \
        --out "$out/native-report" --pool-runs
    # The vision tower on the GPU and kept on the CPU, the decoder offloaded: SmolVLM2-256M's image path.
    vlm=/tmp/smolvlm2-256m-q8_0.gguf
    "$llmsweep" synth --preset smolvlm2-256m --type q8_0 --seed 42 -o "$vlm"
    time "$llmsweep" run -m "$vlm" --mmproj /tmp/mmproj-smolvlm2-256m-f16.gguf --image-size 512 -ngl 99 \
        --no-mmproj-offload 0,1 "${vision_sizes[@]}" --db "$out/vision.db"
    "$llmsweep" report --db "$out/vision.db" --compare no_mmproj_offload --lang en --format md --no-charts \
        --out "$out/vision-report"
    time "$llmsweep" run "${grid[@]}" --engine llama-bench --llama-bench "$build/bin/llama-bench" \
        --db "$out/llama-bench.db"
    "$llmsweep" report --db "$out/llama-bench.db" --compare n_gpu_layers --lang en --format md --no-charts \
        --out "$out/llama-bench-report" --pool-runs
    ;;
*)
    sed -n '2,15p' "$0" >&2
    exit 2
    ;;
esac
