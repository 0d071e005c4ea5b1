#include "store/schema.hpp"

#include "core/error.hpp"
#include "core/escape.hpp"
#include "domain/knobs.hpp"
#include "domain/llama_bench_fields.hpp"
#include "store/store.hpp"

#include <algorithm>
#include <deque>

#include <fmt/format.h>

namespace llmsweep::store {
namespace {

using enum SqlType;

// The owner of the text made below (the columns' string_views point into it).
std::string_view kept(std::string text) {
    static std::deque<std::string> texts;
    return texts.emplace_back(std::move(text));
}

SqlType sql_type(const domain::Knob& knob) {
    switch (knob.type()) {
    case domain::Knob::Type::text: return SqlType::text;
    case domain::Knob::Type::real: return SqlType::real;
    default: return SqlType::integer;
    }
}

// The columns of the parameters of `scopes` (domain/knobs.hpp), those the loads table records too where
// `per_load`: each one's name, type, help and default, added in its `since`. Server mode's are NULL in other modes.
std::vector<Column> knob_columns(std::initializer_list<domain::Knob::Scope> scopes, bool per_load = false) {
    std::vector<Column> columns;
    for (const domain::Knob& knob : domain::parameters()) {
        if (std::find(scopes.begin(), scopes.end(), knob.scope()) == scopes.end()) continue;
        if (per_load && !knob.per_load) continue;
        std::string doc(knob.help);
        if (const size_t flag = doc.find("0,1: "); knob.type() == domain::Knob::Type::boolean && flag != doc.npos)
            doc.replace(flag, 5, "1: ");
        const std::string value = knob.default_text();
        const std::string fallback = sql_type(knob) == text ? escape::sql(value) : value;
        const std::string constraint = knob.of_server_mode() ? ""
                                       : knob.always         ? "NOT NULL"
                                                             : "NOT NULL DEFAULT " + fallback;
        columns.push_back(
            {knob.name, sql_type(knob),
             kept(fmt::format("{} ({}).{}", doc, knob.origin(), knob.of_server_mode() ? " NULL in other modes." : "")),
             kept(constraint), knob.since});
    }
    return columns;
}

// The results columns of what llama.cpp resolved a setting to, where it may (domain::Knob::effective_help).
std::vector<Column> effective_value_columns() {
    std::vector<Column> columns;
    for (const domain::Knob& knob : domain::parameters())
        if (!knob.effective_help.empty())
            columns.push_back(
                {kept(fmt::format("effective_{}", knob.name)), sql_type(knob), knob.effective_help, "", 6});
    return columns;
}

// Their columns in the llama_bench table, under llama-bench's field names.
std::vector<Column> knob_llama_bench_columns() {
    std::vector<Column> columns;
    for (const domain::Knob& knob : domain::parameters()) {
        if (!knob.of_llama_bench()) continue;
        const bool own = !knob.llama_bench_sql.empty();
        const std::string doc =
            fmt::format("The results' `{}` (llama-bench {}){}.", knob.name, knob.flag,
                        own ? fmt::format(", as llama-bench writes it: `{}`", knob.llama_bench_sql) : "");
        columns.push_back({knob.field, own ? integer : sql_type(knob), kept(doc), "", 2,
                           own ? knob.llama_bench_sql : kept(fmt::format("r.{}", knob.name))});
    }
    return columns;
}

std::vector<Column> joined(std::initializer_list<std::vector<Column>> parts) {
    std::vector<Column> all;
    for (const std::vector<Column>& part : parts) all.insert(all.end(), part.begin(), part.end());
    return all;
}

// In llama-bench's order of its fields (llmsweep's own columns last), as llama-bench's own table has them.
std::vector<Column> in_llama_bench_order(std::vector<Column> columns) {
    std::stable_sort(columns.begin(), columns.end(), [](const Column& a, const Column& b) {
        return domain::llama_bench_field_index(a.name) < domain::llama_bench_field_index(b.name);
    });
    return columns;
}

const std::vector<Table> all_tables = {
    {"runs",
     "One invocation of `llmsweep run` (or its resumption): what was swept, on what, and how it ended.",
     {
         {"id", integer, "Run id.", "PRIMARY KEY"},
         {"uid", text,
          "A globally unique id (128 random bits, hex): `merge` copies a run into another database once, whatever its "
          "id there.",
          "", 6},
         {"spec_key", text, "Canonical JSON of the spec; a run with the same key is resumed.", "NOT NULL"},
         {"status", text, "`running` (or killed while running), `finished`, `interrupted` (Ctrl-C) or `failed`.",
          "NOT NULL"},
         {"started_at", text, "UTC start, ISO 8601.", "NOT NULL"},
         {"finished_at", text, "UTC end, ISO 8601; NULL while running or if it never ended."},
         {"mode", text, "`request`, `split` or `server`.", "NOT NULL"},
         {"sweep_order", text, "`rounds` or `grouped`: the order actually used.", "NOT NULL"},
         {"seed", integer, "Seed of the order and of the random tokens.", "NOT NULL"},
         {"repetitions", integer, "Repetitions per point.", "NOT NULL"},
         {"warmup", integer, "Untimed runs after each new context.", "NOT NULL"},
         {"spec_json", text, "The full spec, as JSON.", "NOT NULL"},
         {"plan_json", text, "The order of visits: [[load group, round, [point index, ...]], ...]."},
         {"llmsweep_version", text, "llmsweep's version.", "NOT NULL"},
         {"build_commit", text, "llama.cpp commit the worker was built with.", "NOT NULL"},
         {"ggml_version", text, "ggml version."},
         {"backends", text, "ggml backends, comma separated."},
         {"gpu_info", text, "GPU devices, comma separated (empty on CPU-only builds)."},
         {"cpu_info", text, "CPU model."},
         {"cpu_cores_physical", integer, "Physical cores."},
         {"cpu_cores_logical", integer, "Logical cores."},
         {"memory_bytes", integer, "Installed memory."},
         {"os", text, "Operating system and kernel."},
         {"hostname", text, "Host name."},
         {"source", text, "`run` for a sweep; `import` for results read from a llama-bench file.", "", 2},
         {"engine", text,
          "What measured: `native` (llmsweep's workers on its llama.cpp, or the llama-server built with it), "
          "`llama-bench` (the binary in spec_json, or the one that wrote an imported file) or `external` (a server "
          "somebody else started, `run --url`: its build is `unknown`, and its loads' `server_props` say what it "
          "said of itself).",
          "", 2},
         {"source_file", text, "Imports: the file as given.", "", 2},
         {"source_sha256", text, "Imports: SHA-256 of the file's content; a file already imported is skipped.", "", 2},
         {"max_repetitions", integer,
          "Adaptive rounds: the most repetitions a point may get (`repetitions` is the least); NULL for a fixed "
          "number.",
          "", 5},
         {"target_ci_pct", real, "Adaptive rounds: the 95 % interval of each result's mean sought, +- percent.", "", 5},
         {"decide", text, "Adaptive rounds: the parameters whose comparisons were to be decided, comma separated.", "",
          5},
         {"margin_pct", real, "Adaptive rounds: the equivalence margin the decisions used, percent.", "", 5},
         {"slurm_job", text,
          "Under Slurm: the job that ran it (`ARRAY_TASK` for a task of a job array, as `llmsweep slurm` submits).", "",
          6},
         {"slurm_node", text, "Under Slurm: the node it ran on, as Slurm names it.", "", 6},
         {"wall_s", real,
          "Seconds the sweep ran, every invocation of a resumed one added; the columns below say where they went.", "",
          10},
         {"timed_s", real, "Of wall_s: the samples' own timed parts.", "", 10},
         {"load_s", real, "Of wall_s: the models' loads (a llama-server's start until it answered, in server mode).",
          "", 10},
         {"untimed_s", real,
          "Of wall_s: the tests' time in their workers beside the timed parts (contexts, warm-ups, depths' prefill).",
          "", 10},
         {"process_s", real, "Of wall_s: the worker and server processes' starts and ends.", "", 10},
         {"machine_s", real, "Of wall_s: the machine's roofs measured (once per host, build and thread count).", "",
          10},
     }},
    {"loads", "One model load in a worker process: what it cost, for every load mode and cache state.",
     joined(
         {{
              {"id", integer, "Load id.", "PRIMARY KEY"},
              {"run_id", integer, "The run.", "NOT NULL REFERENCES runs(id)"},
              {"model_filename", text, "Model file path as given.", "NOT NULL"},
              {"model_bytes", integer, "Size of the model file."},
          },
          knob_columns({domain::Knob::Scope::load}, true),
          {
              {"cache_evicted", integer, "For cold loads: 1 if mincore found the file's pages gone before the load."},
              {"resident_before_bytes", integer, "Bytes of the model file in the page cache just before the load."},
              {"round", integer, "Round of the visit (0 in grouped order)."},
              {"load_ms", real, "Wall time of llama_model_load_from_file, ms."},
              {"rss_after_load_bytes", integer, "Worker's resident set size right after the load."},
              {"rss_peak_bytes", integer, "Worker's peak resident set size over the visit."},
              {"major_faults", integer, "Major page faults during the load."},
              {"minor_faults", integer, "Minor page faults during the load."},
              {"status", text, "`ok`, `failed`, `timeout` or `crashed`.", "NOT NULL"},
              {"error", text, "Why the load failed."},
              {"thp_mode",
               text,
               "The host's transparent-huge-page mode at the load: `always`, `madvise` or `never`.",
               {},
               3},
              {"model_buffers",
               text,
               "Where llama.cpp put the weights, as it logs them: `CPU_Mapped` (the mapped file), `CPU` (read into "
               "memory), `CPU_REPACK` (repacked for this CPU's kernels), each with its MiB, e.g. `CPU_Mapped 136.47`.",
               {},
               3},
              {"anon_after_load_kb",
               integer,
               "Worker's anonymous memory right after the load (a model read into buffers, repacked weights), KiB.",
               {},
               3},
              {"anon_huge_after_load_kb",
               integer,
               "Of it, mapped with transparent huge pages (AnonHugePages), KiB.",
               {},
               3},
              {"file_pmd_after_load_kb",
               integer,
               "Page-cache memory (a mapped model file) mapped with huge pages (FilePmdMapped) right after the load, "
               "KiB.",
               {},
               3},
              {"rss_at_end_kb", integer, "Worker's resident memory after the visit's measurements, KiB.", {}, 3},
              {"anon_at_end_kb", integer, "Its anonymous memory then, KiB.", {}, 3},
              {"anon_huge_at_end_kb", integer, "Its anonymous memory on transparent huge pages then, KiB.", {}, 3},
              {"file_pmd_at_end_kb", integer, "Its page-cache memory mapped with huge pages then, KiB.", {}, 3},
              {"visit_s", real, "Wall time of the visit: the worker's start to its end, s.", {}, 4},
              {"rss_anon_peak_kb",
               integer,
               "The largest anonymous resident memory (RssAnon) over the visit, sampled after the load and after each "
               "measurement, KiB: buffers, and a model read into them.",
               {},
               5},
              {"rss_file_peak_kb",
               integer,
               "The largest file-backed resident memory (RssFile) over the visit, KiB: a mapped model file's pages.",
               {},
               5},
              {"resident_after_bytes",
               integer,
               "Bytes of the model file in the page cache at the end of the visit.",
               {},
               5},
              {"other_cpu_cores",
               real,
               "CPU time of every other process during the visit (not the worker's, not llmsweep's), in cores: 1.0 is "
               "one core busy throughout.",
               {},
               4},
              {"steal_percent", real, "Share of the CPU time the hypervisor stole during the visit, %.", {}, 4},
              {"load_average", real, "The host's 1-minute load average at the end of the visit.", {}, 4},
              {"cpu_mhz", real, "Mean CPU clock at the end of the visit, MHz, where the kernel reports it.", {}, 4},
              {"throttle_events",
               integer,
               "Thermal throttling events during the visit, where the CPU counts them.",
               {},
               4},
              {"server_command",
               text,
               "Server mode: the llama-server command line, as JSON (NULL for a server llmsweep did not start).",
               {},
               7},
              {"server_props",
               text,
               "Server mode: what the server said about itself (`/props`, or `/v1/models`), as JSON.",
               {},
               7},
              {"mmproj_load_ms",
               real,
               "A vision-language model's mmproj (`--mmproj`): wall time of its load (llama.cpp's mtmd_init_from_file) "
               "for the first image of the visit, ms.",
               {},
               11},
              {"mmproj_rss_bytes",
               integer,
               "The worker's resident memory that loading the mmproj added (its weights, which llama.cpp's clip reads "
               "into memory whatever the model's load mode, and its compute buffers), bytes.",
               {},
               13},
              {"first_image_ms",
               real,
               "The worker's first image after the load (its warm-up's, with `--image-size`): the encode of its "
               "slices with the vision tower cold, ms; the results' `img` are the later ones.",
               {},
               11},
              {"first_image_tokens", integer, "The tokens that first image became.", {}, 11},
          }})},
    {"results", "One metric at one point: the statistics of its repetitions.",
     joined(
         {{
              {"id", integer, "Result id.", "PRIMARY KEY"},
              {"run_id", integer, "The run.", "NOT NULL REFERENCES runs(id)"},
              {"point_key", text, "Canonical key of the point (model identity and every value).", "NOT NULL"},
              {"metric", text,
               "`pp` (prompt processing), `tg` (token generation), `pg` (llama-bench's -pg: the prompt, then the "
               "generation, timed as one; split mode), `img` and `ipp` (an image's encode through the vision tower "
               "and its tokens' prefill, `--image-size`) or `serve` (server mode).",
               "NOT NULL"},
              {"model_filename", text, "Model file path as given.", "NOT NULL"},
              {"model_type", text, "llama.cpp's description, e.g. `llama 256M Q8_0`."},
              {"model_size", integer, "Bytes of the model's tensors, as llama.cpp reports."},
              {"model_n_params", integer, "Parameters."},
          },
          knob_columns({domain::Knob::Scope::load, domain::Knob::Scope::context}),
          effective_value_columns(),
          knob_columns({domain::Knob::Scope::test}),
          {
              {"mode", text, "`request`, `split` or `server`.", "NOT NULL"},
          },
          knob_columns({domain::Knob::Scope::server, domain::Knob::Scope::client}),
          {
              {"repetitions", integer, "Repetitions measured so far.", "NOT NULL"},
              {"avg_ns", real, "Mean time of the metric's phase, ns."},
              {"stddev_ns", real, "Sample standard deviation of that time, ns."},
              {"avg_ts", real, "Mean throughput, tokens/s (of the per-repetition throughputs)."},
              {"stddev_ts", real, "Sample standard deviation of the throughput, tokens/s."},
              {"ttft_ms", real, "Request mode, tg: mean time to first token (prefill + first decode), ms."},
              {"itl_p50_ms", real, "Request mode, tg: mean of the repetitions' median inter-token latency, ms."},
              {"itl_p90_ms", real, "Request mode, tg: mean 90th percentile inter-token latency, ms."},
              {"itl_p99_ms", real, "Request mode, tg: mean 99th percentile inter-token latency, ms."},
              {"status", text, "`running` (repetitions pending), `ok`, `failed`, `timeout` or `crashed`.", "NOT NULL"},
              {"error", text,
               "Why the point failed (or, with status `ok`, why a repetition after the first ones did)."},
              {"stop_reason", text,
               "Why the point got no more repetitions: `repetitions` (the fixed number), `rule_met` (adaptive rounds: "
               "its rule held), `max_repetitions` (adaptive rounds: the limit, its rule unmet), `out_of_reach` "
               "(adaptive rounds: its comparison's verdict was out of reach by the limit), `failed` (a later "
               "repetition failed); NULL while running, for failures and imports.",
               "", 5},
              {"test_time", text, "UTC time of the last repetition, ISO 8601."},
              {"llama_bench_json", text,
               "Imports: llama-bench's fields that have no column here (cpu_mask, poll, ...), as JSON.", "", 2},
              {"llama_bench", text,
               "`run --engine llama-bench --llama-bench A,B`: the binary that measured it (each round runs each binary "
               "once); NULL for a sweep of one binary, the native engine and imports.",
               "", 8},
              {"build_commit", text,
               "The llama.cpp commit of the binary that measured it, where a run ran several (`--llama-bench A,B`); "
               "NULL: the run's `build_commit`.",
               "", 8},
          }}),
     "UNIQUE (run_id, point_key, metric)"},
    {"samples",
     "One repetition of one result.",
     {
         {"id", integer, "Sample id.", "PRIMARY KEY"},
         {"result_id", integer, "The result.", "NOT NULL REFERENCES results(id)"},
         {"load_id", integer, "The load it ran on.", "REFERENCES loads(id)"},
         {"repetition", integer, "Repetition index, from 0.", "NOT NULL"},
         {"ns", integer, "Time of the phase, ns.", "NOT NULL"},
         {"ts", real, "Throughput, tokens/s.", "NOT NULL"},
         {"ttft_ms", real, "Request mode, tg: time to first token, ms. Server mode: the repetition's median TTFT."},
         {"itl_p50_ms", real,
          "Request mode, tg: median inter-token latency, ms. Server mode: over every gap of the repetition's "
          "requests."},
         {"itl_p90_ms", real, "Request mode, tg: 90th percentile inter-token latency, ms (server mode: likewise)."},
         {"itl_p99_ms", real, "Request mode, tg: 99th percentile inter-token latency, ms (server mode: likewise)."},
         {"server_metrics", text,
          "Server mode: what llama-server's own counters (`/metrics`) say of the repetition, as JSON: each "
          "`*_total` counter's increase over it (tokens, seconds of prompt and generation, decode calls), each gauge's "
          "value after it; NULL for a server without them.",
          "", 7},
         {"image_tokens", integer, "`img` and `ipp`: the tokens the repetition's image became.", "", 12},
         {"image_slices", integer,
          "`img` and `ipp`: the slices llama.cpp's preprocessing cut the image into, each encoded apart (a grid "
          "of tiles and an overview, for SmolVLM).",
          "", 12},
     },
     "UNIQUE (result_id, repetition)"},
    {"requests",
     "Server mode: every request of every repetition, as the client saw it. A repetition's sample has `ns` the "
     "time from its first submission to its last answer and `ts` the output tokens per second over it.",
     {
         {"id", integer, "Request id.", "PRIMARY KEY"},
         {"result_id", integer, "The result (the point's `serve` metric).", "NOT NULL REFERENCES results(id)"},
         {"load_id", integer, "The server it was sent to (its load).", "REFERENCES loads(id)"},
         {"repetition", integer, "The repetition it belongs to.", "NOT NULL"},
         {"seq", integer, "Its place in the repetition's submissions, from 0.", "NOT NULL"},
         {"submit_ms", real,
          "Submission, ms after the repetition's start; in an open loop (`--rate`) the arrival its seed scheduled, "
          "from which its latencies count (a client that submits late does not hide the wait).",
          "NOT NULL"},
         {"ttft_ms", real, "Time to first token: submission to the first streamed chunk with a token, ms."},
         {"e2e_ms", real, "Submission to the end of the answer, ms.", "NOT NULL"},
         {"tpot_ms", real, "Time per output token after the first: (e2e - ttft) / (tokens_out - 1), ms."},
         {"itl_p50_ms", real, "Median gap between successive streamed tokens, ms."},
         {"itl_p90_ms", real, "90th percentile gap, ms."},
         {"itl_p99_ms", real, "99th percentile gap, ms."},
         {"itl_max_ms", real, "Longest gap, ms."},
         {"tokens_in", integer, "Prompt tokens (as the server counted them where it says).", "NOT NULL"},
         {"tokens_out", integer, "Tokens generated.", "NOT NULL"},
         {"http_status", integer, "The HTTP status; 0 when no answer came."},
         {"status", text, "`ok`, `error` or `timeout`.", "NOT NULL"},
         {"error", text, "Why it failed, as the server or the connection said."},
         {"server_prompt_ms", real,
          "The server's own time for the prompt (llama-server's `timings.prompt_ms`: its images' encoding and the "
          "prefill), ms; NULL where the server sends none.",
          "", 13},
         {"server_gen_ms", real, "The server's own time for the generation (`timings.predicted_ms`), ms.", "", 13},
     },
     "",
     7},
    {"machines",
     "How fast a host can go, measured once per host, llama.cpp build and thread count (after a sweep's last "
     "point, outside every timed region, or by `llmsweep info --measure`): the roofs of the report's roofline. A "
     "run's figures are those of its `hostname` and `build_commit` at the result's `n_threads`.",
     {
         {"id", integer, "Measurement id.", "PRIMARY KEY"},
         {"hostname", text, "Host name.", "NOT NULL"},
         {"cpu_info", text, "CPU model."},
         {"build_commit", text, "llama.cpp commit whose ggml multiplied the matrices.", "NOT NULL"},
         {"threads", integer, "Threads used.", "NOT NULL"},
         {"measured_at", text, "UTC, ISO 8601.", "NOT NULL"},
         {"read_gbs", real,
          "Memory read bandwidth, GB/s (1e9 bytes): threads reading a buffer far larger than the "
          "last-level cache, best of 7 passes.",
          "NOT NULL"},
         {"triad_gbs", real, "STREAM triad (a = b + s c), GB/s, counting two arrays read and one written."},
         {"buffer_bytes", integer, "Bytes the bandwidth passes streamed through."},
         {"matmul_gflops", text,
          "ggml's matrix multiplication on the CPU backend (4096 x 4096 weights, batch 512, best of 5), GFLOP/s per "
          "weight "
          "type, as a JSON object.",
          "NOT NULL"},
         {"peak_gflops", real,
          "Theoretical FP32 peak: threads x clock x (2 FMA units of the widest vectors the CPU flags name); NULL "
          "where unknown."},
         {"l1d_bytes", integer, "Level 1 data cache per core."},
         {"l2_bytes", integer, "Level 2 cache."},
         {"l3_bytes", integer, "Level 3 (last-level) cache, as the kernel reports it."},
         {"matmul_buffers", text,
          "The buffer types the weights were multiplied in, the fastest giving `matmul_gflops` (`CPU, CPU_REPACK`: "
          "repacked for this CPU's kernels, as llama.cpp loads them by default); NULL for a measurement in the "
          "plain CPU buffer alone, whose roofs repacked weights exceed.",
          "", 9},
     },
     "",
     6},
    {"model_profiles",
     "What a token costs each model (docs/roofline.md): read from the GGUF file's tensors when a sweep starts or "
     "a file is imported where the model is readable.",
     {
         {"model_filename", text, "Model file path as the results name it.", "NOT NULL"},
         {"file_bytes", integer, "The file's size.", "NOT NULL"},
         {"weight_type", text, "The type of most of the matrices' bytes."},
         {"profile_json", text,
          "Attention shape (layers, heads, KV heads, head sizes, experts), weight bytes and matrix parameters per "
          "token, the model's bytes, tied embeddings.",
          "NOT NULL"},
     },
     "UNIQUE (model_filename, file_bytes)",
     6},
    {"llama_bench",
     "The `ok` results under llama-bench's own SQL table and column names, kept current by triggers, so that "
     "tools written for llama-bench databases (llama.cpp's `scripts/compare-llama-bench.py`) read llmsweep's. "
     "In request mode a `pp` row has `n_gen = 0` and a `tg` row has `n_prompt = 0` and `n_depth` = depth + "
     "prompt, as llama-bench would report the same work. Settings llmsweep does not sweep carry llama-bench's "
     "defaults, or for imports the values the file had.",
     in_llama_bench_order(joined(
         {{
              {"build_commit", text, "llama.cpp commit.", "", 2, "COALESCE(r.build_commit, runs.build_commit)"},
              {"build_number", integer, "llama.cpp build number.", "", 2,
               "COALESCE(json_extract(r.llama_bench_json, '$.build_number'), 0)"},
              {"cpu_info", text, "CPU model.", "", 2, "runs.cpu_info"},
              {"gpu_info", text, "GPU devices.", "", 2, "COALESCE(runs.gpu_info, '')"},
              {"backends", text, "ggml backends.", "", 2, "runs.backends"},
              {"model_filename", text, "Model file path.", "", 2, "r.model_filename"},
              {"model_type", text, "llama.cpp's description of the model.", "", 2, "r.model_type"},
              {"model_size", integer, "Bytes of the model's tensors.", "", 2, "r.model_size"},
              {"model_n_params", integer, "Parameters.", "", 2, "r.model_n_params"},
          },
          knob_llama_bench_columns(),
          {
              {"test_time", text, "UTC time of the test.", "", 2, "r.test_time"},
              {"avg_ns", integer, "Mean time, ns.", "", 2, "CAST(r.avg_ns AS INTEGER)"},
              {"stddev_ns", integer, "Standard deviation of the time, ns.", "", 2, "CAST(r.stddev_ns AS INTEGER)"},
              {"avg_ts", real, "Mean throughput, tokens/s.", "", 2, "r.avg_ts"},
              {"stddev_ts", real, "Standard deviation of the throughput, tokens/s.", "", 2, "r.stddev_ts"},
              {"result_id", integer, "The result this row shows (llmsweep's own column).",
               "UNIQUE REFERENCES results(id)", 2, "r.id"},
          }}))},
    {"result_values",
     "Each setting's distinct values among the results, kept by triggers as results are written, so that a "
     "report reads only the settings that vary: one that has a single value here has it in every result. A "
     "setting with an effective column (`load_mode`, `n_gpu_layers`) has the values it came to; NULL is ''. "
     "Empty in a database an older llmsweep wrote and a newer one only read.",
     {
         {"name", text, "The setting's column in `results`.", "NOT NULL"},
         {"value", text, "One of its values, as text.", "NOT NULL"},
     },
     "UNIQUE (name, value)",
     14},
};

} // namespace

std::string_view sql_type_name(SqlType type) {
    switch (type) {
    case integer: return "INTEGER";
    case real: return "REAL";
    case text: return "TEXT";
    }
    return "BLOB";
}

const std::vector<Table>& tables() { return all_tables; }

const Table& table(std::string_view name) {
    for (const auto& t : all_tables)
        if (t.name == name) return t;
    throw Error(fmt::format("internal: no table {}", name));
}

std::string create_table_sql(const Table& t) {
    std::string sql = fmt::format("CREATE TABLE {} (\n", t.name);
    for (size_t i = 0; i < t.columns.size(); ++i) {
        const Column& c = t.columns[i];
        sql += fmt::format("    {} {}{}{}{}\n", c.name, sql_type_name(c.type), c.constraint.empty() ? "" : " ",
                           c.constraint, i + 1 < t.columns.size() || !t.table_constraint.empty() ? "," : "");
    }
    if (!t.table_constraint.empty()) sql += fmt::format("    {}\n", t.table_constraint);
    return sql + ")";
}

std::string insert_sql(const Table& t, const std::vector<std::string_view>& columns) {
    std::string names, params;
    for (std::string_view name : columns) {
        names += fmt::format("{}{}", names.empty() ? "" : ", ", name);
        params += fmt::format("{}:{}", params.empty() ? "" : ", ", name);
    }
    return fmt::format("INSERT INTO {} ({}) VALUES ({})", t.name, names, params);
}

namespace {

// SELECT of the llama_bench rows of the ok results that `where` picks.
std::string llama_bench_select(std::string_view where) {
    std::string columns, expressions;
    for (const Column& c : table("llama_bench").columns) {
        columns += fmt::format("{}{}", columns.empty() ? "" : ", ", c.name);
        expressions += fmt::format("{}\n    {}", expressions.empty() ? "" : ",", c.from);
    }
    return fmt::format("INSERT INTO llama_bench ({})\nSELECT{}\nFROM results AS r JOIN runs ON runs.id = r.run_id\n"
                       "WHERE r.status = 'ok' AND {}",
                       columns, expressions, where);
}

} // namespace

const std::vector<std::string_view>& effective_columns() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> all;
        for (const domain::Knob& knob : domain::parameters())
            if (!knob.effective_help.empty()) all.push_back(knob.name);
        return all;
    }();
    return names;
}

bool has_effective_value(std::string_view column) {
    return std::find(effective_columns().begin(), effective_columns().end(), column) != effective_columns().end();
}

std::vector<std::string> llama_bench_trigger_sql() {
    return {
        fmt::format("CREATE TRIGGER llama_bench_result_inserted AFTER INSERT ON results WHEN new.status = 'ok'\n"
                    "BEGIN\n{};\nEND",
                    llama_bench_select("r.id = new.id")),
        // Repetitions still running change nothing there: only a result that is or was ok does.
        fmt::format("CREATE TRIGGER llama_bench_result_updated AFTER UPDATE ON results\n"
                    "WHEN new.status = 'ok' OR old.status = 'ok'\nBEGIN\n"
                    "DELETE FROM llama_bench WHERE result_id = old.id;\n{};\nEND",
                    llama_bench_select("r.id = new.id")),
        "CREATE TRIGGER llama_bench_result_deleted AFTER DELETE ON results\nBEGIN\n"
        "DELETE FROM llama_bench WHERE result_id = old.id;\nEND",
        fmt::format("CREATE TRIGGER llama_bench_run_updated AFTER UPDATE OF build_commit, cpu_info, gpu_info, backends "
                    "ON runs\nBEGIN\nDELETE FROM llama_bench WHERE result_id IN (SELECT id FROM results WHERE run_id = "
                    "new.id);\n{};\nEND",
                    llama_bench_select("r.run_id = new.id")),
    };
}

std::string llama_bench_fill_sql() { return llama_bench_select("1"); }

const std::vector<std::string_view>& value_kept_columns() {
    static const std::vector<std::string_view> names = [] {
        using Scope = domain::Knob::Scope;
        std::vector<std::string_view> list = {"model_filename", "model_type", "model_size",
                                              "model_n_params", "mode",       "llama_bench"};
        for (const Column& c : knob_columns({Scope::load, Scope::context, Scope::test, Scope::server, Scope::client}))
            list.push_back(c.name);
        return list;
    }();
    return names;
}

namespace {

// A setting's value in the results row `row` (new, or results' own name), as the reader takes it.
std::string value_expression(std::string_view row, std::string_view column) {
    return has_effective_value(column) ? fmt::format("COALESCE({0}.effective_{1}, {0}.{1}, '')", row, column)
                                       : fmt::format("COALESCE({}.{}, '')", row, column);
}

} // namespace

std::vector<std::string> result_values_trigger_sql() {
    std::vector<std::string> values;
    for (const std::string_view column : value_kept_columns())
        values.push_back(fmt::format("('{}', {})", column, value_expression("new", column)));
    const std::string insert =
        fmt::format("INSERT OR IGNORE INTO result_values (name, value) VALUES\n    {};", fmt::join(values, ",\n    "));
    return {
        fmt::format("CREATE TRIGGER result_values_inserted AFTER INSERT ON results\nBEGIN\n{}\nEND", insert),
        fmt::format("CREATE TRIGGER result_values_updated AFTER UPDATE ON results\nBEGIN\n{}\nEND", insert),
    };
}

std::string result_values_select_sql() {
    std::vector<std::string> values;
    for (const std::string_view column : value_kept_columns()) values.push_back(value_expression("r", column));
    return fmt::format("SELECT {} FROM results AS r", fmt::join(values, ", "));
}

std::string schema_markdown() {
    std::string md = fmt::format(
        "# Store schema\n\n"
        "An llmsweep database is one SQLite file (default `benchmark_results.db`) in WAL mode, marked by\n"
        "`PRAGMA application_id = {}` and versioned by `PRAGMA user_version` (now {}). This page is generated\n"
        "from the schema table in `src/store/schema.cpp`; `tests/store_test.cpp` checks that it is current.\n",
        application_id, schema_version);
    for (const Table& t : all_tables) {
        md += fmt::format("\n## `{}`\n\n{}\n\n| column | type | meaning |\n|---|---|---|\n", t.name, t.doc);
        for (const Column& c : t.columns)
            md += fmt::format("| `{}` | {} | {} |\n", c.name, sql_type_name(c.type), c.doc);
        if (!t.table_constraint.empty()) md += fmt::format("\nConstraint: `{}`.\n", t.table_constraint);
    }
    return md;
}

} // namespace llmsweep::store
