#include "store/schema.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

namespace llmsweep::store {
namespace {

using enum SqlType;

const std::vector<Table> all_tables = {
    {"runs",
     "One invocation of `llmsweep run` (or its resumption): what was swept, on what, and how it ended.",
     {
         {"id", integer, "Run id.", "PRIMARY KEY"},
         {"spec_key", text, "Canonical JSON of the spec; a run with the same key is resumed.", "NOT NULL"},
         {"status", text, "`running` (or killed while running), `finished`, `interrupted` (Ctrl-C) or `failed`.", "NOT NULL"},
         {"started_at", text, "UTC start, ISO 8601.", "NOT NULL"},
         {"finished_at", text, "UTC end, ISO 8601; NULL while running or if it never ended."},
         {"mode", text, "`request` or `split`.", "NOT NULL"},
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
     }},
    {"loads",
     "One model load in a worker process: what it cost, for every load mode and cache state.",
     {
         {"id", integer, "Load id.", "PRIMARY KEY"},
         {"run_id", integer, "The run.", "NOT NULL REFERENCES runs(id)"},
         {"model_filename", text, "Model file path as given.", "NOT NULL"},
         {"model_bytes", integer, "Size of the model file."},
         {"load_mode", text, "`mmap`, `none`, `mlock` or `dio`.", "NOT NULL"},
         {"cache_state", text, "`warm` or `cold` (file pages evicted before the load).", "NOT NULL"},
         {"cache_evicted", integer, "For cold loads: 1 if mincore found the file's pages gone before the load."},
         {"resident_before_bytes", integer, "Bytes of the model file in the page cache just before the load."},
         {"n_gpu_layers", integer, "Layers offloaded to GPUs.", "NOT NULL"},
         {"round", integer, "Round of the visit (0 in grouped order)."},
         {"load_ms", real, "Wall time of llama_model_load_from_file, ms."},
         {"rss_after_load_bytes", integer, "Worker's resident set size right after the load."},
         {"rss_peak_bytes", integer, "Worker's peak resident set size over the visit."},
         {"major_faults", integer, "Major page faults during the load."},
         {"minor_faults", integer, "Minor page faults during the load."},
         {"status", text, "`ok`, `failed`, `timeout` or `crashed`.", "NOT NULL"},
         {"error", text, "Why the load failed."},
     }},
    {"results",
     "One metric at one point: the statistics of its repetitions.",
     {
         {"id", integer, "Result id.", "PRIMARY KEY"},
         {"run_id", integer, "The run.", "NOT NULL REFERENCES runs(id)"},
         {"point_key", text, "Canonical key of the point (model identity and every value).", "NOT NULL"},
         {"metric", text, "`pp` (prompt processing) or `tg` (token generation).", "NOT NULL"},
         {"model_filename", text, "Model file path as given.", "NOT NULL"},
         {"model_type", text, "llama.cpp's description, e.g. `llama 256M Q8_0`."},
         {"model_size", integer, "Bytes of the model's tensors, as llama.cpp reports."},
         {"model_n_params", integer, "Parameters."},
         {"load_mode", text, "`mmap`, `none`, `mlock` or `dio`.", "NOT NULL"},
         {"cache_state", text, "`warm` or `cold`.", "NOT NULL"},
         {"n_gpu_layers", integer, "Layers offloaded to GPUs.", "NOT NULL"},
         {"n_threads", integer, "CPU threads.", "NOT NULL"},
         {"n_batch", integer, "Logical batch size.", "NOT NULL"},
         {"n_ubatch", integer, "Physical batch size.", "NOT NULL"},
         {"type_k", text, "KV cache type of K.", "NOT NULL"},
         {"type_v", text, "KV cache type of V.", "NOT NULL"},
         {"flash_attn", text, "`on`, `off` or `auto`.", "NOT NULL"},
         {"n_prompt", integer, "Prompt tokens of the point.", "NOT NULL"},
         {"n_gen", integer, "Generated tokens of the point.", "NOT NULL"},
         {"n_depth", integer, "Tokens in the context before the test.", "NOT NULL"},
         {"mode", text, "`request` or `split`.", "NOT NULL"},
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
         {"error", text, "Why the point failed."},
         {"test_time", text, "UTC time of the last repetition, ISO 8601."},
     },
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
         {"ttft_ms", real, "Request mode, tg: time to first token, ms."},
         {"itl_p50_ms", real, "Request mode, tg: median inter-token latency, ms."},
         {"itl_p90_ms", real, "Request mode, tg: 90th percentile inter-token latency, ms."},
         {"itl_p99_ms", real, "Request mode, tg: 99th percentile inter-token latency, ms."},
     },
     "UNIQUE (result_id, repetition)"},
};

std::string_view type_name(SqlType type) {
    switch (type) {
    case integer: return "INTEGER";
    case real: return "REAL";
    case text: return "TEXT";
    }
    return "BLOB";
}

} // namespace

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
        sql += fmt::format("    {} {}{}{}{}\n", c.name, type_name(c.type), c.constraint.empty() ? "" : " ",
                           c.constraint, i + 1 < t.columns.size() || !t.table_constraint.empty() ? "," : "");
    }
    if (!t.table_constraint.empty()) sql += fmt::format("    {}\n", t.table_constraint);
    return sql + ")";
}

std::string insert_sql(const Table& t) {
    std::string names, params;
    for (const Column& c : t.columns) {
        if (c.constraint == "PRIMARY KEY") continue;
        names += fmt::format("{}{}", names.empty() ? "" : ", ", c.name);
        params += fmt::format("{}:{}", params.empty() ? "" : ", ", c.name);
    }
    return fmt::format("INSERT INTO {} ({}) VALUES ({})", t.name, names, params);
}

std::string llama_bench_view_sql() {
    // llama-bench's test table, one row per result. Request mode's tg ran after the prompt, so it is reported
    // as llama-bench would report tg at that depth. Settings llmsweep does not sweep carry llama-bench's
    // defaults for a CPU run.
    return R"(CREATE VIEW llama_bench AS
SELECT
    runs.build_commit AS build_commit,
    0 AS build_number,
    runs.cpu_info AS cpu_info,
    COALESCE(runs.gpu_info, '') AS gpu_info,
    runs.backends AS backends,
    r.model_filename AS model_filename,
    r.model_type AS model_type,
    r.model_size AS model_size,
    r.model_n_params AS model_n_params,
    r.n_batch AS n_batch,
    r.n_ubatch AS n_ubatch,
    r.n_threads AS n_threads,
    '0x0' AS cpu_mask,
    0 AS cpu_strict,
    50 AS poll,
    r.type_k AS type_k,
    r.type_v AS type_v,
    r.n_gpu_layers AS n_gpu_layers,
    0 AS n_cpu_moe,
    'layer' AS split_mode,
    0 AS main_gpu,
    0 AS no_kv_offload,
    CASE r.flash_attn WHEN 'on' THEN 1 WHEN 'off' THEN 0 ELSE -1 END AS flash_attn,
    'auto' AS devices,
    '0.00' AS tensor_split,
    'none' AS tensor_buft_overrides,
    r.load_mode AS load_mode,
    'auto' AS lazy_mode,
    0 AS embeddings,
    0 AS no_op_offload,
    0 AS no_host,
    0 AS fit_target,
    0 AS fit_min_ctx,
    CASE r.metric WHEN 'pp' THEN r.n_prompt ELSE 0 END AS n_prompt,
    CASE r.metric WHEN 'tg' THEN r.n_gen ELSE 0 END AS n_gen,
    CASE WHEN r.metric = 'tg' AND r.mode = 'request' THEN r.n_depth + r.n_prompt ELSE r.n_depth END AS n_depth,
    r.test_time AS test_time,
    CAST(r.avg_ns AS INTEGER) AS avg_ns,
    CAST(r.stddev_ns AS INTEGER) AS stddev_ns,
    r.avg_ts AS avg_ts,
    r.stddev_ts AS stddev_ts
FROM results AS r JOIN runs ON runs.id = r.run_id
WHERE r.status = 'ok')";
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
        for (const Column& c : t.columns) md += fmt::format("| `{}` | {} | {} |\n", c.name, type_name(c.type), c.doc);
        if (!t.table_constraint.empty()) md += fmt::format("\nConstraint: `{}`.\n", t.table_constraint);
    }
    md += "\n## `llama_bench` (view)\n\n"
          "The `ok` results under llama-bench's own SQL column names (its `test` table), so that tools written\n"
          "for llama-bench databases read llmsweep's. In request mode a `pp` row has `n_gen = 0` and a `tg` row\n"
          "has `n_prompt = 0` and `n_depth` = depth + prompt, as llama-bench would report the same work.\n";
    return md;
}

} // namespace llmsweep::store
