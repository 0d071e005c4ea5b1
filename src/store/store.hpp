#pragma once
// The benchmark store: opens (and creates or migrates) an llmsweep database, and reads and writes runs, loads,
// results and samples. Rows are column-name → value lists checked against the schema table.

#include "domain/model_cost.hpp"
#include "domain/point.hpp"
#include "store/schema.hpp"
#include "store/sqlite.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace llmsweep::store {

using Row = std::vector<std::pair<std::string_view, Value>>;

// What a run has already measured: per (point key, metric), the repetitions stored and whether it is final.
struct Progress {
    std::map<std::pair<std::string, std::string>, std::set<int64_t>> repetitions;
    // Results that get no more repetitions: failed (status other than running and ok), or ok with a later
    // repetition failed (stop_reason failed).
    std::set<std::pair<std::string, std::string>> final_results;
};

// The columns that say which point a result is of: every writer of results (a sweep, an import, the tests'
// fixtures) fills these from a point and nothing else for the point.
Row point_columns(const domain::Point& point, domain::Mode mode);
// The columns that say what a load was given: its model and the settings the loads table records
// (domain::Knob::per_load).
Row load_columns(const domain::LoadParams& load);

// A new run's globally unique id: 128 random bits, hex.
std::string new_run_uid();

// What `merge` copied from one database.
struct MergeOutcome {
    size_t runs = 0, runs_present = 0; // copied; already in the database (the same uid)
    size_t runs_extended = 0;          // of those present, the ones the input had more of (a resumed shard)
    size_t dangling = 0;               // rows left out because they refer to a run, load or result not there
    size_t loads = 0, results = 0, samples = 0, requests = 0, machines = 0, model_profiles = 0;
};

// A result as the analysis reads it: its measurement, and the values of the requested columns as text.
// Its texts are views into SQLite's row, valid only during the call that gets it.
struct ResultRow {
    int64_t id = 0, run_id = 0;
    std::string_view model_filename, metric, status, error;
    double avg_ts = 0, stddev_ts = 0;
    int64_t repetitions = 0;
    std::optional<double> ttft_ms, itl_p50_ms, itl_p90_ms, itl_p99_ms;
    std::vector<std::string_view> values; // one per requested column, "" for NULL
    // Per requested column, whether every result has the one value it has here (known from result_values,
    // not read row by row): the same for every row of one read.
    std::vector<bool> same_for_all;
};

// A column of a result's, of its run's, or one that the loads its samples ran on say about it (see
// load_derived_columns), by name.
struct ResultColumn {
    // respelled: one of effective_columns, its value as given where it came to another, else "" (what
    // respellings are made of).
    enum class Of { result, run, loads, respelled };
    std::string name;
    Of of = Of::result;
    // One of effective_columns: the value as given (auto), not what it came to (mmap), which is the default.
    bool as_given = false;
};

// What a result's loads (the worker processes its repetitions ran in) say about it, as text:
//   huge_pages_used: `yes` when every load had memory on huge pages at the end of its visit (anonymous THP or
//   PMD-mapped file pages), `no` when none had, `mixed`, or `unknown` (not recorded: imports, llama-bench's
//   loads, older databases).
inline constexpr std::array<std::string_view, 1> load_derived_columns = {"huge_pages_used"};

// The settings that have two spellings for one meaning (domain::Knob::effective_help: llama-bench's -ngl -1 and 99
// on a smaller model; load mode auto, which llama.cpp resolves to mmap or none): results store what was given
// and, beside it in effective_<column>, what it came to. The analysis reads the effective value where there is
// one, so that results pair on what ran.
const std::vector<std::string_view>& effective_columns();
bool has_effective_value(std::string_view column);

// A setting given in one spelling that came to another: what the report says it paired on.
struct Respelling {
    std::string column, given, effective;
    bool operator==(const Respelling&) const = default;
};

// Server mode: one request, as the analysis reads it.
struct RequestRow {
    int64_t result_id = 0, repetition = 0;
    double submit_ms = 0, e2e_ms = 0;
    std::optional<double> ttft_ms, tpot_ms;
    std::optional<double> server_prompt_ms, server_gen_ms; // the server's own timings, where it sent them
    int64_t tokens_out = 0;
    bool ok = false;
};

// A vision-language model's image encode (metric img), as its sample and the load it ran on record it.
struct ImageSampleRow {
    int64_t result_id = 0;
    std::optional<int64_t> load_id;
    double ns = 0, ts = 0;
    std::optional<int64_t> tokens, slices; // none in databases before schema 12
    // The load's first image (its warm-up's, the vision tower cold): encode ms and tokens; none when not recorded.
    std::optional<double> first_image_ms;
    std::optional<int64_t> first_image_tokens;
};

// A successful load, as the report summarizes them.
struct LoadRow {
    int64_t run_id = 0;
    std::string model_filename, value, cache_state; // value: of the requested load column, as text
    std::optional<double> load_ms;                  // none when the load was not timed (llama-bench's)
    double rss_peak_bytes = 0, major_faults = 0, minor_faults = 0;
    bool evicted = false;      // a cold load whose eviction was confirmed
    std::string thp_mode;      // "" when not recorded
    std::string model_buffers; // "" when not recorded
    // Huge-page-mapped memory after the visit's measurements (else right after the load), KiB; none when not
    // recorded (older databases, llama-bench's loads).
    std::optional<double> anon_huge_kb, file_pmd_kb;
    // The visit's largest anonymous and file-backed resident memory, KiB, and the model file's bytes in the page
    // cache before the load and after the visit; none when not recorded.
    std::optional<double> peak_anon_kb, peak_file_kb, resident_before_bytes, resident_after_bytes;
    int64_t round = 0;
    // What the machine did besides the visit (none when not recorded: older databases).
    std::optional<double> other_cpu_cores, steal_percent, load_average;
    // A vision-language model's: the mmproj's load, and the first image's encode (vision tower cold), ms.
    std::optional<double> mmproj_load_ms, mmproj_rss_bytes, first_image_ms;
};

// Why a run's points got no more repetitions (results.stop_reason): how many, and their repetitions.
struct StopCount {
    std::string reason;
    size_t results = 0;
    int64_t min_repetitions = 0, max_repetitions = 0;
};

// A model file as its results describe it (llama.cpp's description, tensor bytes, parameters; 0 when unknown).
// A row of the llama_bench table: its fields in llama-bench's order, as llama-bench writes them (integers in
// decimal, reals with six decimals, NULL as empty), and the result's samples in repetition order.
struct LlamaBenchRow {
    int64_t result_id = 0;
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<int64_t> samples_ns;
    std::vector<double> samples_ts;
};

struct ModelRow {
    std::string model_filename, model_type;
    int64_t model_size = 0, model_n_params = 0;
};

struct RunRow {
    int64_t id = 0;
    std::string mode, order, started_at, build_commit, backends, cpu_info, os;
    int64_t repetitions = 0, warmup = 0, cpu_cores_logical = 0;
    int64_t memory_bytes = 0; // 0: not recorded (imports)
    // Adaptive rounds (none for a fixed number of repetitions).
    std::optional<int64_t> max_repetitions;
    std::optional<double> target_ci_pct, margin_pct;
    std::string decide; // comma separated
    std::vector<StopCount> stops;
    std::string source = "run";    // run or import
    std::string engine = "native"; // native, llama-bench or external (a server given by --url)
    std::string spec_key;          // what `run` resumes by (imports: their file's hash)
    std::string spec_json;
};

class Store {
public:
    enum class Access {
        read_write, // created if absent, migrated to the current schema
        read_only   // never written, also on a read-only folder or mount; an older schema is read through
                    // a migrated copy in memory
    };
    // Opens `path`. Throws UsageError if the name is not a file's (empty, ":memory:", a folder), the file is
    // not an llmsweep database (or, read-only, is empty) or was written by a newer schema, saying what to do.
    explicit Store(const std::string& path, Access access = Access::read_write);

    Database& db() { return *db_; }
    // Another store, read-only, on the same file: for a reader on another thread. None where this one reads a
    // copy in memory (an older schema, migrated there).
    std::unique_ptr<Store> another_reader();
    // Copies the WAL into the database now (a moment when nothing is being timed).
    void checkpoint();

    struct RunRef {
        int64_t id = 0;
        std::string status;
        std::string spec_json;
    };
    // The latest run with this spec key, if any.
    std::optional<RunRef> latest_run(const std::string& spec_key);
    int64_t insert_run(const Row& row);
    // The runs imported from a file with this content, if any.
    std::vector<int64_t> runs_imported_from(const std::string& sha256);
    void update_run(int64_t run_id, const Row& row);
    // Adds to a run's numeric columns (what a resumed run's invocations add up to).
    void add_to_run(int64_t run_id, const std::vector<std::pair<std::string, double>>& amounts);

    int64_t insert_load(const Row& row);
    void update_load(int64_t load_id, const Row& row);

    // The id of the result (run, point key, metric), inserting `row` with status running if it is absent.
    int64_t ensure_result(int64_t run_id, const std::string& point_key, const std::string& metric, const Row& row);
    void update_result(int64_t result_id, const Row& row);
    // A finished result, written whole (imports).
    int64_t insert_result(const Row& row);
    void insert_sample(const Row& row);
    // Server mode: one request of a repetition (table requests).
    void insert_request(const Row& row);
    // Recomputes a result's repetition count, means and standard deviations from its samples.
    void summarize_result(int64_t result_id, const std::string& status, const std::string& test_time);

    Progress progress(int64_t run_id);
    // The point key of each of a run's results, by result id.
    std::unordered_map<int64_t, std::string> point_keys(int64_t run_id);
    // Sets why a point (every metric of it) got no more repetitions; a point whose later repetition failed keeps
    // `failed`.
    void set_stop_reason(int64_t run_id, const std::string& point_key, const std::string& reason);

    // Reading for the analysis and reports. Column names are checked against the schema (UsageError for an
    // unknown one), so that no text from outside reaches SQL.
    bool has_results();
    size_t count_results(std::optional<int64_t> run_id);
    size_t count_samples(std::optional<int64_t> run_id);
    // The settings (results' columns) that have one value among all results, by name: that value, as text, as
    // result_values says (none where that table is empty, or where the triggers that keep it are not llmsweep's).
    // read_results takes them from here instead of from each row.
    std::map<std::string, std::string, std::less<>> single_values();
    // Every model path among the results (NULL as ""), in order: as result_values has them where llmsweep's own
    // triggers keep it, else by a walk of the results.
    std::vector<std::string> model_paths();
    // Every result (of one run, or all), in the order stored. The rows are read on a thread of their own while
    // `each` runs on this one: `each` must not use this store.
    void read_results(std::optional<int64_t> run_id, const std::vector<ResultColumn>& columns,
                      const std::function<void(ResultRow&&)>& each);
    // The successful loads, in the order made, with `value_column` as text: a loads column, a results column (the
    // value of the results measured on the load: a load knob's), or "" for none.
    std::vector<LoadRow> read_loads(const std::string& value_column);
    // Every sample (of one run's results, or all): its result, repetition index and throughput. In the order
    // stored, where llmsweep writes each result's samples together, in repetition order, and the results in id
    // order (a sweep, an import, a merge): a scan of the table. Or sorted by result id and repetition, whatever
    // wrote them: a walk of its index, about half as fast.
    enum class SampleOrder { stored, by_result };
    void read_samples(std::optional<int64_t> run_id, SampleOrder order,
                      const std::function<void(int64_t result_id, int64_t repetition, double ts)>& each);
    // Every image encode's sample (of one run's results, or all), in the order of result id and repetition.
    void read_image_samples(std::optional<int64_t> run_id, const std::function<void(const ImageSampleRow&)>& each);
    // Server mode: every request (of one run's results, or all), in the order of result id and repetition.
    void read_requests(std::optional<int64_t> run_id, const std::function<void(const RequestRow&)>& each);
    // The service-level objectives the runs' specs gave (`run --slo`), distinct, as written ("ttft=500ms").
    std::vector<std::string> run_slos();
    // Every run; with its results' stop reasons counted (a walk of every result), or without (a report counts them
    // as it reads the results).
    enum class Stops { counted, not_counted };
    std::vector<RunRow> read_runs(Stops stops = Stops::counted);
    // llama.cpp's build number of each build commit that llama-bench reported one for (its imports and runs).
    std::map<std::string, int64_t> build_numbers();
    // The llama_bench table's rows of a run's ok results not in `except`, in result id order, with their samples.
    std::vector<LlamaBenchRow> read_llama_bench_rows(int64_t run_id, const std::set<int64_t>& except);

    // The roofline's roofs (table machines): one measurement, its columns as a row; every measurement, each as
    // a JSON object named by the columns (matmul_gflops an object), oldest first.
    void insert_machine(const Row& row);
    std::vector<nlohmann::json> read_machines();
    // What a token costs each model (table model_profiles): kept once per file name and size; the latest per
    // file name, as the profile's JSON text.
    void save_model_profile(const std::string& model_filename, const domain::ModelProfile& profile);
    std::map<std::string, std::string> read_model_profiles();

    // Time of the point's phases (pp + tg, ns) in its latest successful measurement in any run, if any.
    std::optional<double> measured_ns(const std::string& point_key);
    // The mean time of the timed, successful loads, per model file as the loads name it.
    std::map<std::string, double> mean_load_ms();

    // Copies from `other` every run this database lacks (by uid) with its loads, results and samples, and the
    // machines and model profiles it lacks; the llama_bench table follows by its triggers. One transaction: a
    // merge that fails or is killed leaves this database as it was. Merging a database into itself, or the same
    // one twice, adds nothing.
    MergeOutcome merge_from(Store& other);

private:
    void extend_present_runs(Store& other, const std::set<std::string>& uids, MergeOutcome& out);
    void check_shape(int64_t version);
    void create_or_migrate();
    void migrate(int64_t from_version);
    void recreate_triggers();
    void fill_result_values();
    bool result_values_kept();
    int64_t insert(std::string_view table_name, const Row& row);
    void update(std::string_view table_name, int64_t id, const Row& row);

    Access access_;
    std::unique_ptr<Database> db_;
    std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
    Statement& statement(const std::string& sql);
};

// Current UTC time, ISO 8601 with milliseconds.
std::string utc_now();

} // namespace llmsweep::store
