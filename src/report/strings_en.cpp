// The report's words in English.
#include "report/strings.hpp"

namespace llmsweep::report {

constinit const Strings english{
    .title_suffix = "comparison report",
    .title_single = "Benchmark report",
    .generated_at = "Generated",
    .source = "Data source",
    .overview = "Data overview",
    .records = "Results",
    .nothing_succeeded = "No result succeeded: there are no throughputs to show or compare. The reasons are listed "
                         "under Warnings.",
    .no_result_succeeded = "No successful result.",
    .models = "Models",
    .metrics = "Metrics",
    .values_of = "values",
    .n_prompt_range = "n_prompt range",
    .n_gen_range = "n_gen range",
    .counts = "Results per value, model and metric",
    .value = "Value",
    .model = "Model",
    .all_models = "all models",
    .metric = "Metric",
    .count = "Results",
    .model_type = "llama.cpp type",
    .model_size = "Tensors MiB",
    .model_params = "Parameters (M)",
    .performance = "Performance",
    .pp_name = "PP (prompt processing, prefill)",
    .tg_name = "TG (token generation, decode)",
    .pg_name = "PG (prompt then generation, llama-bench -pg)",
    .serve_name = "Serve (llama-server under load: the whole server's output t/s)",
    .img_name = "IMG (an image through the vision tower: its tokens per second of encoding)",
    .ipp_name = "IPP (the image's tokens prefilled into the decoder)",
    .points = "Points",
    .mean_ts = "Mean t/s",
    .sd_ts = "SD t/s",
    .min_ts = "Min t/s",
    .max_ts = "Max t/s",
    .median_ts = "Median t/s",
    .mean_cv = "Mean CV %",
    .max_cv = "Max CV %",
    .not_ok = "Not ok",
    .differences = "Differences",
    .differences_intro =
        "Each value is compared with the baseline on points matched on every other parameter, block by block "
        "(docs/statistics.md): a block is a round of the sweep (every load group visited once, in a random order; "
        "in grouped order and within an import, a repetition index), the effect within a block is the mean over its "
        "points of log(value / baseline), and the blocks are the replicates; where no run measured both values "
        "(separate builds, hosts or imports), each run is one replicate, compared by Welch's t. Difference: the mean "
        "effect over the blocks "
        "in percent, with its 95 % t interval; across points: the smallest and largest effect of a single point; "
        "p: the t test of no effect, adjusted by Holm's method across all comparisons of this report. Faster or "
        "slower: adjusted p below 0.05 and an interval that excludes 0; equivalent: the 90 % interval inside "
        "±{} % (two one-sided tests); otherwise inconclusive.",
    .nothing_to_compare = "Every result has the same settings apart from n_prompt, n_gen and n_depth, so there "
                          "is nothing to compare. Sweep a setting over two values (for example --mmap 0,1) or "
                          "import results of another llama.cpp build, or compare test sizes with --compare n_prompt.",
    .baseline = "Baseline",
    .pairs = "Pairs",
    .unpaired = "Unpaired",
    .diff_ts = "Difference t/s",
    .diff_pct = "Difference %",
    .ci95 = "95 % interval",
    .blocks = "Blocks",
    .across_points = "Across points %",
    .holm_p = "Holm p",
    .verdict = "Verdict",
    .faster = "faster",
    .slower = "slower",
    .equivalent = "equivalent",
    .inconclusive = "inconclusive",
    .too_few = "one measurement, no interval",
    .too_few_runs = "one run of each, no interval",
    .blocks_needed = "about {} blocks would decide",
    .without_flagged = "without the flagged blocks: {}",
    .one_run_each = "one run of each: an estimate only, since the interval cannot include the variation between "
                    "runs; run each several times, interleaved (two builds: llmsweep run --engine llama-bench "
                    "--llama-bench A,B -r 5)",
    .runs_needed = "about {} runs of each would decide",
    .busy_blocks = "{} of {} blocks measured beside other work",
    .runs_used = "Runs used: {}.",
    .runs_pooled = "Comparisons pool the rounds of runs {} (--pool-runs, or runs of one design).",
    .runs_between = "Comparisons between separate runs (no run measured both values) use each run as one replicate: "
                    "the repetitions of a run share its process, load and memory placement.",
    .runs_left_out = "Left out of comparisons within runs, which measured one of the values only: runs {}.",
    .flagged_intro = "Blocks whose effect departs from the other blocks' far beyond their spread (robust z above 4: "
                     "a visit disturbed by something else on the machine); each comparison's verdict with and "
                     "without them is in the differences table",
    .flagged_block = "repetition {}",
    .flagged_round = "round {} of run {}",
    .flagged_busy = "a visit of this round ran beside other work (listed below)",
    .headline = "At a glance",
    .charts = "Charts",
    .charts_unavailable = "No charts:",
    .charts_left_out = "Not drawn, because no result in them succeeded:",
    .chart_data = "data",
    .chart_script = "gnuplot script",
    .beyond = "Beyond throughput",
    .loads_intro = "Model loads, one per worker process (load time of llama_model_load_from_file, the worker's "
                   "peak resident memory, page faults during the load). A mapped model's pages count as resident, "
                   "so peak RSS hides what mmap changes: the anonymous and file-backed peaks split it (a model read "
                   "into buffers is anonymous, a mapped one file-backed), and the model file's bytes in the page "
                   "cache before the load and after the visit show what stays cached for the next process.",
    .loads_count = "Loads",
    .no_loads = "No successful load is recorded for these results (imports carry none).",
    .cache = "Page cache",
    .load_ms = "Load ms",
    .load_sd = "SD ms",
    .rss_peak = "Peak RSS MiB",
    .peak_anon = "Peak anonymous MiB",
    .peak_file = "Peak file-backed MiB",
    .cached_before_after = "Model cached before / after MiB",
    .major_faults = "Major faults",
    .minor_faults = "Minor faults",
    .evicted = "Evicted (cold)",
    .anon_huge = "Anon huge MiB",
    .file_pmd = "File PMD MiB",
    .thp_mode = "THP",
    .model_buffers = "Weights in (MiB)",
    .mmproj_load_ms = "mmproj load ms",
    .mmproj_mib = "mmproj MiB",
    .first_image_ms = "First image ms (cold)",
    .latency_intro = "Request mode: time to first token (the prefill) and inter-token latency percentiles, "
                     "means over the points.",
    .ttft = "TTFT ms",
    .itl_p50 = "ITL p50 ms",
    .itl_p90 = "ITL p90 ms",
    .itl_p99 = "ITL p99 ms",
    .roofline = "How close to the machine's limit",
    .roofline_intro =
        "Token generation reads every active weight once per token, so its ceiling is the memory's read bandwidth "
        "over the bytes a token reads (the weights, and the KV cache up to the point's context); prompt processing "
        "shares each weight over a batch, so its ceiling is the rate of the matrix multiplication. A token's bytes "
        "and operations come from the model's tensors (docs/roofline.md); the roofs were measured on the same host "
        "with the same thread count, before the sweep: the read bandwidth of threads streaming through memory far "
        "larger than the last-level cache, and ggml's own matrix multiplication on the CPU backend at batch 512. "
        "Share: the achieved rate over the roof (CPU token generation typically reaches 40-80 % of the bandwidth).",
    .no_roofline = "No roofline: no run of these results measured the machine or read the models' costs (run "
                   "without --no-roofline, or `llmsweep info --measure` on the host that ran them).",
    .roofline_machines = "The roofs, as measured",
    .threads = "Threads",
    .read_gbs = "Read GB/s",
    .triad_gbs = "Triad GB/s",
    .matmul_gflops = "Matrix multiplication GFLOP/s",
    .peak_gflops = "Peak GFLOP/s",
    .l3_cache = "Last-level cache MiB",
    .achieved_gbs = "GB/s",
    .bandwidth_share = "Share of bandwidth %",
    .achieved_gflops = "GFLOP/s",
    .compute_share = "Share of compute %",
    .roofline_no_profile = "No cost per token for these models (their files were not readable when the results "
                           "were stored): {}",
    .roofline_no_machine = "No measurement of the machine for: {} (run `llmsweep info --measure -t N` there)",
    .roofline_fits_cache = "The weights a token reads fit in the last-level cache for: {}; the memory's roof does "
                           "not bound them, and a share above 100 % is possible",
    .roofline_offloaded = "Left out, as their work ran on a GPU, which the CPU's roofs do not bound (layers offloaded, "
                          "or a prompt's batches of 32 tokens or more sent to the GPU): {}",
    .server_prompt_p50 = "Server prompt p50 ms",
    .server_gen_p50 = "Server generation p50 ms",
    .roofline_other_build = "Some roofs were measured with another llama.cpp build of the same host.",
    .roofline_chart_title = "Roofline, {} threads",
    .roofline_chart_caption =
        "Each point is a result: its operations per byte read (x) and operations per second (y), both log "
        "scales. The sloped line is the memory's roof (bandwidth x intensity), the flat one the matrix "
        "multiplication's; a point far below the roof that binds it leaves performance on the table.",
    .intensity_axis = "FLOP per byte",
    .gflops_axis = "GFLOP/s",
    .memory_roof = "memory roof",
    .compute_roof = "compute roof",
    .serving = "Serving",
    .serving_intro =
        "Server mode: llama-server under the load of many clients. Each point is a load: closed loops of N clients, "
        "each sending its next request when its last one ends, or open loops of requests arriving at random (a "
        "Poisson process) at a rate per second. Figures are over every request of the point's repetitions: time to "
        "first token (TTFT: the request's submission to its first streamed token, queueing and prefill included), "
        "time per output token after the first (TPOT), end to end (E2E); output t/s counts the tokens of the whole "
        "server. Pareto: no other load of the model has more throughput at a lower p99 TTFT.",
    .serving_slo = "Goodput counts the requests that met the objective {} (a failed request did not), per second.",
    .serving_no_slo = "No objective was given (run or report --slo ttft=500ms,tpot=50ms): goodput counts every "
                      "request that succeeded.",
    .load = "Load",
    .client = "client",
    .clients = "clients",
    .per_second = "req/s",
    .requests = "Requests",
    .failed_requests = "Failed",
    .request_rate = "Req/s",
    .output_tps = "Output t/s",
    .ttft_p50 = "TTFT p50 ms",
    .ttft_p99 = "TTFT p99 ms",
    .tpot_p50 = "TPOT p50 ms",
    .tpot_p99 = "TPOT p99 ms",
    .e2e_p50 = "E2E p50 ms",
    .e2e_p99 = "E2E p99 ms",
    .slo_met = "Met %",
    .goodput = "Goodput req/s",
    .pareto = "Pareto",
    .capacity_intro = "The highest load at which 90 % of the requests met the objective, per model and value:",
    .highest_load = "Highest load",
    .none_met = "none",
    .closed_loop = "closed loop",
    .open_loop = "open loop",
    .serving_throughput_title = "{} — output t/s by {}",
    .serving_latency_title = "{} — p99 TTFT by {}",
    .serving_pareto_title = "{} — throughput and p99 TTFT",
    .pareto_front = "Pareto",
    .single_stream_intro =
        "One client on the server against llmsweep's own token generation of the same model, settings and output "
        "length (run both into one database): the server's speed is each request's 1000 / TPOT, averaged per "
        "repetition; speeds are geometric means over the repetitions, and the difference is their ratio, with Welch's "
        "95 % interval of the difference of the mean log speeds. What it costs is the "
        "server's own work per token (sampling, detokenizing, streaming) and the client's.",
    .server_stream_tps = "Server t/s (one client)",
    .native_tg_tps = "Native tg t/s",
    .serving_latency_intro =
        "How long the requests waited, ms, over every request that succeeded: the mean and percentiles of TTFT, "
        "TPOT and E2E; ITL, the gap between two streamed tokens, as the median and 99th percentile of each "
        "repetition's gaps, averaged over the repetitions.",
    .latency_mean = "mean",
    .vision = "Images",
    .vision_intro =
        "A vision-language model's image path (--mmproj): each request began with an image, which llama.cpp's "
        "preprocessing cut into slices (a grid of tiles and an overview), each encoded through the vision tower "
        "into tokens that were then prefilled into the decoder before the prompt. Per point: the images encoded "
        "(its repetitions), slices and tokens per image, the encode's time per image (mean ± sd) and per slice, "
        "its tokens per second (img), and the image tokens' prefill rate (ipp).",
    .vision_first_intro =
        "First image: each load's first image (its warm-up's, the vision tower cold) against the point's later "
        "images on the same loads, per token; +20 % means the first image took a fifth longer per token.",
    .settings = "Settings",
    .image = "Image",
    .image_px = "{} px",
    .images_per_request = "Per request",
    .images_encoded = "Images",
    .slices_per_image = "Slices",
    .tokens_per_image = "Tokens",
    .encode_ms = "Encode ms",
    .encode_ms_per_slice = "ms / slice",
    .encode_tps = "Encode t/s",
    .prefill_tps = "Prefill t/s",
    .first_image_pct = "First image %",
    .vision_chart_title = "{} — image encode time by image size",
    .vision_chart_xlabel = "image size, px per side",
    .vision_chart_ylabel = "encode ms per image",
    .chart_vision_caption = "{0}: the time to encode one image through the vision tower at each image size (pixels "
                            "per side), one line per {1}, with the repetitions' sd.{2}",
    .chart_vision_found = " {0}: {1:.1f} ms at {2} px, {3:.2f} ms per slice.",
    .history_title = "llama.cpp builds over time",
    .history_intro =
        "Per model, metric and host: each build's throughput, the geometric mean over the points every run of the "
        "series measured, in history order; its 95 % interval is over the build's runs (two or more). A step is "
        "where a stretch of builds differs from the rest by more than normal noise between builds would give "
        "anywhere in the history (circular binary segmentation, alpha {0}); its size compares the builds after it "
        "with those before it, each build's run the replicate, and a step slower than -{1} % is a regression.",
    .history_series = "{0} {1}{2}: {4} builds in order of {5}; points every run measured: {3}",
    .history_on_host = " on {}",
    .history_by_number = "build number",
    .history_by_time = "their first run",
    .history_build = "Build",
    .history_number = "Build number",
    .history_first_run = "First run",
    .history_runs = "Runs",
    .history_interval = "95 % interval",
    .history_step = "Step here",
    .history_steps = "Steps:",
    .history_no_step = "No step: no stretch of builds differs from the rest by more than noise would (p >= {0}).",
    .history_step_line = "between build {0} and {1}: {2} ({3} builds before, {4} after; p = {5:.3f})",
    .history_regression = "regression",
    .history_left_out = "Left out:",
    .history_chart_caption = "{0}: each build's t/s in history order, with its interval over its runs; the grey "
                             "lines are the means between steps.{1}",
    .history_segment_mean = "mean between steps",
    .worst_listed = "the worst listed:",
    .first_listed = "the first listed:",
    .warnings = "Warnings",
    .no_warnings = "None.",
    .high_cv_intro = "Points whose repetitions vary by more than",
    .not_ok_intro = "Results that did not finish ok (left out of every table above)",
    .too_few_intro = "Comparisons with fewer pairs than a test needs (6)",
    .unpaired_intro = "Points without a match in the other value, left out of the paired analysis",
    .huge_pages_differ_intro =
        "The compared values ran with different huge pages (memory on 2 MiB pages: transparent huge pages, or a "
        "mapped model file in large page-cache folios), so their differences include the effect of huge pages. "
        "Compare within one state (--where huge_pages_used=yes or =no), or sweep --huge-pages off,on to measure "
        "both",
    .huge_pages_used_as = "huge pages used",
    .busy_intro = "Visits measured beside other work (other processes used {} of a core or more on average, or "
                  "the hypervisor stole {} % or more of the CPU time): a round with one of them may be disturbed",
    .busy_visit = "{}{}, round {} of run {}: other processes {:.2f} cores, steal {:.1f} %, load average {:.2f}",
    .hosts_differ_intro = "The values were measured on different hosts (merged databases or hand-made shards): points "
                          "pair only where one host measured both values, the others go unpaired; --compare hostname "
                          "compares the hosts. Hosts per value:",
    .left_out_intro = "Figures no machine can give, left out of every table and comparison (a damaged or edited "
                      "database): {}",
    .stored_slo_ignored = "The serving objective stored with the runs, '{}', is not one ({}): the serving points are "
                          "judged without one; pass --slo to judge them",
    .methodology = "Methodology",
    .methodology_intro = "Measured by llmsweep with llama.cpp's own API, random tokens, no sampling in the "
                         "timed region; each model load in its own worker process.",
    .methodology_request = "In request mode tg is decoded right after the prompt, at depth n_prompt (llama-bench's tg "
                           "with -d n_prompt, not its tg at depth 0).",
    .methodology_import = "Imported from llama-bench's output: its own tests (pp, tg at depth -d, pg) and "
                          "repetitions, as the file has them; llmsweep measured none of them.",
    .methodology_llama_bench = "Measured by llama-bench (run --engine llama-bench): llmsweep started it for each load "
                               "and read its JSON lines, with llama-bench's own tests and warm-up.",
    .methodology_server = "Server mode: llama-server under the clients' load, each request streamed by llmsweep's "
                          "client and timed by its clock; the server samples the tokens it returns.",
    .run = "Run",
    .mode = "mode",
    .order = "order",
    .repetitions = "repetitions",
    .warmup = "warm-up",
    .build = "llama.cpp",
    .host = "host",
    .fixed_settings = "Settings every result shares",
    .logical_cores = "logical cores",
    .adaptive_run = "adaptive rounds: {} to {} repetitions per point, added while {}",
    .rule_target_ci = "a result's mean was not known to +-{} % (95 % interval)",
    .rule_decide = "a comparison of {} was not faster, slower or equivalent at +-{} %",
    .rule_and = ", or ",
    .stop_rule_met = "{} results met the rule ({} repetitions)",
    .stop_max_repetitions = "{} results reached the limit without meeting it ({} repetitions)",
    .stop_failed = "{} results stopped at a failed repetition ({} repetitions)",
    .stop_out_of_reach = "{} results stopped with no verdict in reach by the limit ({} repetitions): more rounds "
                         "would most likely have left their comparison inconclusive",
    .looks_intro = "Runs with adaptive rounds that decided comparisons (run --decide) looked at them after every "
                   "round. So that looking often makes no more false verdicts than looking once, each verdict "
                   "tests at its look's share of the 5 % (alpha spending: the look at n of at most N blocks "
                   "spends 5 % x ((n/N)^2 - ((n-1)/N)^2), the first look 5 % x (n/N)^2), and its interval is "
                   "widened to the same level (column level of difference.csv).",
    .respelled = "Settings given in another spelling than what they came to are paired on what they came to (as "
                 "llama-bench's defaults -ngl -1 and -lm auto pair with -ngl 99 and -lm mmap)",
    .all_layers = "all layers",
    .data_files = "Data files",
    .raw_csv = "Raw results (every result with every parameter)",
    .summary_csv = "Summary (per model, metric and value)",
    .difference_csv = "Differences (the paired analysis)",
    .closing = "End of report.",
    .chart_forest_xlabel = "difference from {} (%), 95 % interval",
    .chart_tally = "{} {}",
    .chart_list_separator = ", ",
    .chart_forest_caption =
        "{0} comparisons of {1} (equivalence margin ±{2} %, shaded): {3}. Largest: {4} {5} {6}, {7}.",
    .chart_points_caption =
        "{0} {1}: each point's mean throughput, error bars the repetitions' sd; points ordered by {2}. {3}",
    .chart_pairs = "pairs",
    .chart_other_value = "other value (tokens/s)",
    .chart_diagonal = "diagonal (no difference)",
    .chart_pairs_caption =
        "The {0} pairs of {1} {2}: x the baseline {3}'s throughput, y the other value's; above the diagonal is faster.",
    .chart_heatmap_color = "vs {} (%)",
    .chart_cells_numbered = "In parentheses: cells whose 95 % interval includes 0 ({} of {}).",
    .chart_cells_unnumbered = "{0} cells, too many to number; in {1} of them the 95 % interval includes 0.",
    .chart_heatmap_depth = " at depth {}",
    .chart_heatmap_caption =
        "{0} {1}: {2} = {3} against {4} (%), over n_prompt x n_gen{5}: from {6:+.1f} % to {7:+.1f} %. {8}",
    .chart_load_time = "load time",
    .chart_peak_memory = "peak memory",
    .chart_load_time_axis = "load time (ms)",
    .chart_peak_rss_axis = "peak RSS (MiB)",
    .chart_file_backed = "file-backed",
    .chart_all = "all",
    .chart_anon_file = "{} {} anonymous {:.1f} MiB, file-backed {:.1f} MiB",
    .chart_anonymous_suffix = " (anonymous)",
    .chart_peak_resident_axis = "peak resident memory (MiB)",
    .chart_load_time_caption = "Mean load time per model, value and cache state: {}.",
    .chart_memory_split_caption = "The visit's peak anonymous and file-backed memory per model, value and cache state "
                                  "(a mapped model's pages are file-backed): {}.",
    .chart_memory_caption = "Mean peak RSS per model, value and cache state (mapped file pages count as resident): {}.",
    .chart_of_bandwidth = "of the bandwidth",
    .chart_of_matmul = "of the matrix multiplication",
    .chart_binding_roof = "Shares of the binding roof",
    .chart_latency_at = " {0}: {1:.1f} ms at {2}.",
    .chart_throughput_best = " {0}: at most {1:.1f} t/s, at {2}.",
    .chart_serving_caption = "{0} ({1}): {2} at each load, one line per {3}.{4}",
    .chart_serving_latency_what = "p99 time to first token; past the knee, queueing dominates",
    .chart_serving_throughput_what = "the whole server's output throughput",
    .chart_pareto_caption =
        "{0}: each point is a load, x its output throughput, y its p99 time to first token; the grey line joins the "
        "{1} Pareto-optimal loads (none other gives more throughput at a lower latency).",
    .chart_pareto_caption_unjoined =
        "{0}: each point is a load, x its output throughput, y its p99 time to first token; each kind of request has "
        "one Pareto-optimal load (none other gives more throughput at a lower latency), so no line joins them.",
    .chart_pairs_caption_one =
        "The one pair of {1} {2}: x the baseline {3}'s throughput, y the other value's; above the diagonal is faster.",
    .chart_forest_caption_one = "One comparison of {1} (equivalence margin ±{2} %, shaded): {3}. {4} {5} {6}, {7}.",
    .chart_sampled = " (one point in {0} of {1})",
    .chart_largest_gap = "The largest gap from {0} is at {1} = {2}: {3} {4:+.1f} %.",
    .chart_lines_caption = "{0} {1}: mean throughput at each {2} (over the other parameters), one line per {3}; error "
                           "bars the repetitions' sd (mean over the points). {4}",
    .headline_load_effect = "{0} {1} = {2} against {3}: {4}.",
    .load_time_change = "load time {0:.0f} → {1:.0f} ms ({2:+.0f} %)",
    .anon_change = "anonymous memory {0:.1f} → {1:.1f} MiB",
    .file_change = "file-backed memory {0:.1f} → {1:.1f} MiB",
    .rss_change = "peak RSS {0:.1f} → {1:.1f} MiB",
    .headline_block = "Each verdict compares the values round by round: a round (a block) visits every load group "
                      "once, in a random order, and the rounds are the replicates.",
};

} // namespace llmsweep::report
