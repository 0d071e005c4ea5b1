#pragma once
// The results of a store as the analysis sees them: one record per (point, metric), every parameter as text,
// names and values exactly as the data has them.

#include "domain/parameter_names.hpp" // the names of the parameters, for the layers above too
#include "store/store.hpp"

#include <array>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace llmsweep::analysis {

// The parameters a report can compare or filter on: the results' own columns, what their loads recorded, and
// the run's (what measured, the llama.cpp build, the machine).
// huge_pages_used is what the loads recorded (store::load_derived_columns); model is the model file's name;
// llama_bench the binary of a run of several (run --llama-bench A,B), empty otherwise; build_commit a result's
// own build where it has one (such a run's), else its run's.
// Server mode's (parallel ... gen_dist) are empty for the results of other modes.
// Every knob (domain/knobs.hpp) among them: the load's after cache_state, the context's after n_threads, the
// server's before the test sizes, and the requests' after the client loop.
const std::vector<std::string_view>& parameter_list();
// A parameter as the results name it, from any name a sweep gives it: the flag's (flash-attn, threads, cache)
// or the TOML key's (flash_attn), so that --compare, --where and --decide take what the flags take.
std::string parameter_named(std::string_view given);
// The most parameters a record holds (a bit each in the loader's masks).
inline constexpr size_t parameter_capacity = 64;
// load_mode and n_gpu_layers are what the settings came to where that is known (store::effective_columns).
// Those that name the model: its file, and llama.cpp's description of it (architecture, size, weight type).
// Comparing them compares different files: the comparisons are then not per model, and a pair matches on every
// parameter but these.
inline constexpr std::array<std::string_view, 2> model_parameters = {"model", "model_type"};
bool is_model_parameter(std::string_view name);
// Those of them that are the run's.
inline constexpr std::array<std::string_view, 7> run_parameters = {"engine",   "build_commit", "backends", "gpu_info",
                                                                   "cpu_info", "hostname",     "source"};

// Server mode's own parameters (its knobs, the client loop's concurrency and rate): empty for the results of
// other modes, where they do not apply, so that a database of native and server results has no value "" of them
// (values_of leaves it out).
bool is_server_parameter(std::string_view name);
// The test sizes (n_prompt, n_gen, n_depth) and server mode's client loop (concurrency, rate): the axes a mode
// combines points along, rather than settings a comparison is about.
bool is_test_size(std::string_view name);
bool is_client_loop(std::string_view name);

// Whether `name` is what the worker processes recorded (huge_pages_used) rather than a setting: a filter and a
// comparison may use it, but points are matched and swept parameters found without it.
bool is_recorded_state(std::string_view name);

// The distinct parameter values of a dataset, each held once (a million records hold a few hundred), at an
// address that does not change; records refer to them by number. It holds the records' texts too (model, metric,
// status), and the distinct combinations of values: the records of one point (its pp and tg, its runs) share one.
// A combination holds the numbers of the parameters that vary among the records alone (a million records of 50
// parameters, 5 of them varying: 20 MiB, not 200).
class ValueTable {
public:
    // The number of `value`, added (copied) if it is new.
    uint32_t intern(std::string_view value);
    // The same value, as a view that lives as long as the table.
    std::string_view text(std::string_view value) { return at(intern(value)); }
    // How combinations are held, set before the first: of the parameters, those that `vary` (by position in
    // parameter_list, ascending) are held in each; every other one has its number in `first` for all.
    void set_layout(std::span<const uint32_t> first, std::span<const size_t> vary);
    // A held copy of a combination: the numbers of the varying parameters, in set_layout's order, at an address
    // that does not change (the loader adds each distinct combination once).
    const uint32_t* hold(std::span<const uint32_t> varying_ids);
    // A held combination's number of the parameter at `index` in parameter_list.
    uint32_t id_in(const uint32_t* held, size_t index) const {
        const int32_t slot = slots_[index];
        return slot < 0 ? fixed_[index] : held[slot];
    }
    // The number of `value`, if some record holds it.
    std::optional<uint32_t> find(std::string_view value) const;
    const std::string& at(uint32_t id) const { return strings_[id]; }
    size_t size() const { return strings_.size(); }

private:
    std::deque<std::string> strings_; // a deque: adding one moves none
    std::unordered_map<std::string_view, uint32_t> ids_;
    std::vector<int32_t> slots_;                            // per parameter: its place in a combination, or -1
    std::vector<uint32_t> fixed_;                           // per parameter: its number where it does not vary
    std::vector<std::unique_ptr<uint32_t[]>> sets_;         // blocks of combinations, each a run of numbers
    size_t set_size_ = 0, block_size_ = 0, block_used_ = 0; // numbers per combination; the last block's size, used
};

// A record's parameter values, in parameter_list order: numbers in its dataset's value table, of a combination
// the records of its point share.
class Params {
public:
    Params() = default;
    Params(const ValueTable* table, const uint32_t* ids) : table_(table), ids_(ids) {}
    // Throws std::out_of_range for a name not in parameter_list.
    const std::string& at(std::string_view name) const;
    // By position in parameter_list; the value's address is the same for every record with the same value.
    const std::string* at(size_t index) const { return &table_->at(id(index)); }
    uint32_t id(size_t index) const { return table_->id_in(ids_, index); }
    template <typename F>
    void for_each(F f) const {
        const auto& names = parameter_list();
        for (size_t i = 0; i < names.size(); ++i) f(names[i], table_->at(id(i)));
    }

private:
    const ValueTable* table_ = nullptr;
    const uint32_t* ids_ = nullptr;
};

// One repetition of a record: its index (in rounds order, the round it ran in) and throughput.
struct Sample {
    int32_t repetition = 0;
    float ts = 0; // 24 bits of mantissa: far finer than any measurement's noise, half the memory
};

// Request mode, tg results: time to first token and inter-token latency percentiles (means over repetitions).
struct Latencies {
    std::optional<double> ttft_ms, itl_p50_ms, itl_p90_ms, itl_p99_ms;
};

// A record's texts are views into its dataset's value table: a record lives as long as its dataset.
struct Record {
    int64_t result_id = 0;
    int64_t run_id = 0;      // the run that measured (or imported) it
    std::string_view model;  // the model file's name, from the data
    std::string_view metric; // pp, tg, pg (llama-bench's combined test) or serve (server mode)
    // Server mode: the load the point put on the server ("concurrency 2", "rate 0.5"), and the model at it: a
    // setting's effect depends on the load, so each load is a group of comparisons of its own. Empty otherwise.
    std::string_view load, model_at_load;
    Params params; // every parameter's value
    double avg_ts = 0;
    double stddev_ts = 0;
    int64_t repetitions = 0;
    std::string_view status; // ok, failed, timeout, crashed, running
    std::string_view error;  // why it is not ok, as stored ("" when ok)
    // Its samples, by repetition, in Dataset::samples (none for a result stored without them).
    uint32_t samples_begin = 0, samples_count = 0;
    // Its latencies in Dataset::latencies, where it has any (most records have none: they are held apart).
    static constexpr uint32_t no_latencies = UINT32_MAX;
    uint32_t latencies = no_latencies;

    // Coefficient of variation of the repetitions, in percent.
    double cv_percent() const { return avg_ts > 0 ? 100.0 * stddev_ts / avg_ts : 0.0; }
};

struct Filters {
    std::optional<int64_t> run_id;    // one run's results only
    std::optional<std::string> model; // file name or path as stored
    // parameter = value; for load_mode and n_gpu_layers, the value given or what it came to (auto or mmap)
    std::vector<std::pair<std::string, std::string>> where;
};

struct Dataset {
    std::vector<Record> records; // every status; analyses use the ok ones
    // The distinct parameter values the records refer to.
    std::shared_ptr<ValueTable> values = std::make_shared<ValueTable>();
    // Per parameter, the numbers of its distinct values in the order first seen: among every record, and
    // among the ok ones (what values_of and fixed_parameters ask, many times, of a million records).
    std::vector<std::vector<uint32_t>> distinct_all = std::vector<std::vector<uint32_t>>(parameter_list().size()),
                                       distinct_ok = distinct_all;
    std::vector<Sample> samples;      // every record's, in record order: one array, not a million small ones
    std::vector<Latencies> latencies; // the records' that have any
    // Figures no machine can give (domain/plausible.hpp), left out: how many (records, made status "invalid" with
    // the reason, and samples), and the first samples', described.
    size_t left_out = 0;
    std::vector<std::string> left_out_samples;
    static constexpr size_t listed_at_most = 20;
    // Every model path among the results read (those of --run's run, or all), as they describe it (its type, size
    // and parameters, each the greatest stored), ordered by path; and every path of the store's results with its
    // short name (domain/model_names.hpp): what Record::model holds.
    std::vector<store::ModelRow> models;
    std::map<std::string, std::string> model_names;
    // Of the records' runs, as of every result of theirs (whatever the filters): the settings given in one spelling
    // that came to another, and each run's stop reasons (store::RunRow::stops), by run.
    std::vector<store::Respelling> respellings;
    std::map<int64_t, std::vector<store::StopCount>> stops;

    // A model path's short name; a path with no results, its file name.
    std::string model_name(const std::string& path) const;

    std::span<const Sample> samples_of(const Record& r) const {
        return std::span<const Sample>(samples).subspan(r.samples_begin, r.samples_count);
    }

    // The record's latencies; none where it has none.
    const Latencies* latencies_of(const Record& r) const {
        return r.latencies == Record::no_latencies ? nullptr : &latencies[r.latencies];
    }

    // The runs its records come from, ascending.
    std::vector<int64_t> run_ids() const;
};

// parameter_list as strings.
const std::vector<std::string>& parameter_names();

// Throws UsageError for an unknown parameter in the filters, naming the known ones.
Dataset load_dataset(store::Store& store, const Filters& filters);

// A visit ran beside other work when other processes used a quarter of a core or more on average, or the
// hypervisor stole 5 % or more of the CPU time (loads.other_cpu_cores, loads.steal_percent).
inline constexpr double busy_other_cores = 0.25, busy_steal_percent = 5.0;
inline bool under_outside_load(double other_cpu_cores, double steal_percent) {
    return other_cpu_cores >= busy_other_cores || steal_percent >= busy_steal_percent;
}

// A visit that ran beside other work, as the report lists it.
struct BusyVisit {
    std::string model, value; // value: of the compared load parameter, "" for another parameter
    int64_t run_id = 0, round = 0;
    double other_cpu_cores = 0, steal_percent = 0, load_average = 0;
};

// The visits of the runs and models in `data` that ran beside other work (under_outside_load), in the order
// stored.
std::vector<BusyVisit> busy_visits(store::Store& store, const Dataset& data, const std::string& compare);

// What loading cost, per model and value of a load parameter, from the store's loads.
struct LoadSummary {
    std::string model, value; // value of the compared parameter, or "" when it is not a load parameter
    std::string cache_state;
    size_t loads = 0;
    std::optional<double> load_ms_mean, load_ms_sd; // none when no load of the group was timed (llama-bench's)
    double rss_peak_mib_mean = 0;
    // What the peak holds, MiB, means over the loads that recorded it: the largest anonymous and file-backed
    // resident memory of the visit (a mapped model counts as file-backed), and the model file's bytes in the page
    // cache before the load and after the visit.
    std::optional<double> peak_anon_mib_mean, peak_file_mib_mean, cached_before_mib_mean, cached_after_mib_mean;
    double major_faults_mean = 0, minor_faults_mean = 0;
    size_t evicted = 0; // cold loads whose eviction mincore confirmed
    // Memory mapped with huge pages at the end of the visits (transparent huge pages of anonymous memory, and
    // PMD-mapped page cache of a mapped model file), MiB, means over the loads that recorded it; and the
    // host's transparent-huge-page modes seen.
    std::optional<double> anon_huge_mib_mean, file_pmd_mib_mean;
    std::string thp_modes;
    std::string model_buffers; // where the weights went, as the group's loads recorded it (distinct ones)
    // A vision-language model's: the mmproj's load and the first image's encode after it (vision tower cold), ms,
    // means over the loads that recorded them.
    std::optional<double> mmproj_load_ms_mean, mmproj_mib_mean, first_image_ms_mean;
};

// Load parameters are load_mode, cache_state, n_gpu_layers and huge_pages; for any other `compare` the loads are
// summarized per model alone. Only loads of the models and runs in `data` count (a filter on the results
// filters the loads too); the load time averages the loads that were timed.
std::vector<LoadSummary> summarize_loads(store::Store& store, const Dataset& data, const std::string& compare);

// The order metrics are shown in: pp, tg, then pg (llama-bench's order), then any other by name.
bool metric_before(std::string_view a, std::string_view b);

// The position of a parameter in parameter_list; throws std::out_of_range for another name.
size_t parameter_index(std::string_view name);

// The parameters with one value in every record (ok or not), with that value, in parameter_list order.
std::vector<std::pair<std::string, std::string>> fixed_parameters(const Dataset& data);

// Settings (not recorded states) with more than one value among the ok records, in parameter_names() order.
std::vector<std::string> varying_parameters(const Dataset& data);
// Which records a question about values looks at: the ok ones (what an analysis compares), or all of them
// (what a listing of the points shows, failed ones included).
enum class Among { ok, all };
// The distinct values of a parameter among the records: settings with a natural order in it (load_mode none
// first, cache_state warm first, a knob's in its table's order), numbers in numeric order, other text as first seen.
std::vector<std::string> values_of(const Dataset& data, std::string_view parameter, Among among = Among::ok);

} // namespace llmsweep::analysis
