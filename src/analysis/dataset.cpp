#include "analysis/dataset.hpp"

#include "core/error.hpp"
#include "core/huge_pages.hpp"
#include "core/text.hpp"
#include "domain/knobs.hpp"
#include "domain/model_names.hpp"
#include "domain/parameter_names.hpp"
#include "domain/plausible.hpp"
#include "stats/descriptive.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <future>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

namespace llmsweep::analysis {
namespace {

bool is_number(const std::string& text, double& value) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    return ec == std::errc() && end == text.data() + text.size();
}

void check_parameter(const std::string& name) {
    const auto& known = parameter_names();
    if (std::find(known.begin(), known.end(), name) == known.end())
        throw UsageError(fmt::format("unknown parameter '{}'; choose from {}", name, fmt::join(known, ", ")));
}

} // namespace

std::string parameter_named(std::string_view given) {
    std::string name(given);
    std::replace(name.begin(), name.end(), '-', '_');
    for (const domain::Knob& knob : domain::knobs()) // an older name: threads, cache
        if (!knob.alias.empty() && knob.alias == name) return std::string(knob.name);
    return name;
}

bool is_model_parameter(std::string_view name) {
    return std::find(model_parameters.begin(), model_parameters.end(), name) != model_parameters.end();
}

bool is_server_parameter(std::string_view name) {
    const domain::Knob* parameter = domain::find_parameter(name);
    return parameter && parameter->of_server_mode();
}

bool is_test_size(std::string_view name) {
    const domain::Knob* parameter = domain::find_parameter(name);
    return parameter && parameter->test_size();
}

bool is_client_loop(std::string_view name) {
    const domain::Knob* parameter = domain::find_parameter(name);
    return parameter && parameter->client_loop();
}

bool is_recorded_state(std::string_view name) {
    return std::find(store::load_derived_columns.begin(), store::load_derived_columns.end(), name) !=
           store::load_derived_columns.end();
}

const std::vector<std::string_view>& parameter_list() {
    static const std::vector<std::string_view> names = [] {
        using Scope = domain::Knob::Scope;
        std::vector<std::string_view> list = {"model", "model_type"};
        auto add_knobs = [&](Scope scope) {
            for (const domain::Knob& knob : domain::parameters())
                if (knob.scope() == scope) list.push_back(knob.name);
        };
        add_knobs(Scope::load);
        list.push_back("huge_pages_used");
        add_knobs(Scope::context);
        add_knobs(Scope::server);
        add_knobs(Scope::test);   // the test sizes first
        add_knobs(Scope::client); // the client loop first
        list.push_back("mode");
        list.insert(list.end(), {"engine", "build_commit", "backends", "gpu_info", "cpu_info", "hostname", "source",
                                 "llama_bench"});
        if (list.size() > parameter_capacity)
            throw std::logic_error(fmt::format("{} parameters: a record holds {}", list.size(), parameter_capacity));
        return list;
    }();
    return names;
}

const std::vector<std::string>& parameter_names() {
    static const std::vector<std::string> names(parameter_list().begin(), parameter_list().end());
    return names;
}

size_t parameter_index(std::string_view name) {
    // A lookup a million records make many times each: hashed, not a walk of the list.
    static const std::unordered_map<std::string_view, size_t> index = [] {
        std::unordered_map<std::string_view, size_t> map;
        const auto& names = parameter_list();
        for (size_t i = 0; i < names.size(); ++i) map.emplace(names[i], i);
        return map;
    }();
    const auto it = index.find(name);
    if (it == index.end()) throw std::out_of_range(fmt::format("no parameter {}", name));
    return it->second;
}

const std::string& Params::at(std::string_view name) const { return table_->at(id(parameter_index(name))); }

uint32_t ValueTable::intern(std::string_view value) {
    if (const auto found = ids_.find(value); found != ids_.end()) return found->second;
    const auto id = static_cast<uint32_t>(strings_.size());
    ids_.emplace(strings_.emplace_back(value), id);
    return id;
}

void ValueTable::set_layout(std::span<const uint32_t> first, std::span<const size_t> vary) {
    slots_.assign(first.size(), -1);
    fixed_.assign(first.begin(), first.end());
    for (size_t k = 0; k < vary.size(); ++k) slots_.at(vary[k]) = static_cast<int32_t>(k);
}

const uint32_t* ValueTable::hold(std::span<const uint32_t> ids) {
    if (sets_.empty() || block_used_ == block_size_ || ids.size() != set_size_) {
        // The first block small (a report of a few results), the next of 8 MiB on huge pages.
        constexpr size_t first = 4096, bytes = size_t{8} << 20;
        block_size_ = sets_.empty() ? first : std::max(first, bytes / (sizeof(uint32_t) * ids.size()));
        sets_.push_back(std::make_unique_for_overwrite<uint32_t[]>(block_size_ * ids.size()));
        advise_huge_pages(sets_.back().get(), sizeof(uint32_t) * block_size_ * ids.size());
        set_size_ = ids.size();
        block_used_ = 0;
    }
    uint32_t* held = sets_.back().get() + block_used_++ * set_size_;
    std::copy(ids.begin(), ids.end(), held);
    return held;
}

std::optional<uint32_t> ValueTable::find(std::string_view value) const {
    if (const auto found = ids_.find(value); found != ids_.end()) return found->second;
    return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> fixed_parameters(const Dataset& data) {
    std::vector<std::pair<std::string, std::string>> fixed;
    const auto& names = parameter_list();
    for (size_t i = 0; i < names.size(); ++i) {
        if (data.distinct_all[i].size() == 1) fixed.emplace_back(names[i], data.values->at(data.distinct_all[i][0]));
    }
    return fixed;
}

namespace {

// Samples as stored, and which of them have a figure no machine gives (by index, and why).
struct SamplesRead {
    struct Stored {
        int64_t result_id;
        int32_t repetition;
        float ts;
    };
    std::vector<Stored> samples;
    std::vector<std::pair<size_t, std::string>> implausible;
};

// What a report says of the runs and the models, gathered as the results are read (before the filters: of whole
// runs) rather than by reading every result again: each model file's facts, the settings given in one spelling
// that came to another, each run's stop reasons.
class RunsAndModels {
public:
    // The columns of a row that hold the model's size and parameters, its stop reason, and, from `respelled`
    // on, each of store::effective_columns as given where it came to another value.
    struct Columns {
        size_t model_type, model_size, model_n_params, stop_reason, respelled;
    };
    explicit RunsAndModels(Columns columns) : columns_(columns) {}

    void add(const store::ResultRow& row) {
        const auto& v = row.values;
        if (!facts_ || row.model_filename != path_ || v[columns_.model_type] != type_ ||
            v[columns_.model_size] != size_ || v[columns_.model_n_params] != n_params_) {
            path_ = row.model_filename, type_ = v[columns_.model_type];
            size_ = v[columns_.model_size], n_params_ = v[columns_.model_n_params];
            auto found = models_.find(path_);
            if (found == models_.end()) found = models_.emplace(path_, store::ModelRow{path_, "", 0, 0}).first;
            facts_ = &found->second;
            // As SQL's max() of each: the greatest text; the greatest number, 0 where none is stored.
            facts_->model_type = std::max(facts_->model_type, type_);
            facts_->model_size = std::max(facts_->model_size, integer(size_));
            facts_->model_n_params = std::max(facts_->model_n_params, integer(n_params_));
        }
        if (const std::string_view reason = v[columns_.stop_reason]; !reason.empty()) {
            if (!stop_ || row.run_id != stop_run_ || reason != stop_->reason) {
                store::StopCount& count = stops_[{row.run_id, std::string(reason)}];
                if (count.results == 0) count = {std::string(reason), 0, row.repetitions, row.repetitions};
                stop_ = &count, stop_run_ = row.run_id;
            }
            ++stop_->results;
            stop_->min_repetitions = std::min(stop_->min_repetitions, row.repetitions);
            stop_->max_repetitions = std::max(stop_->max_repetitions, row.repetitions);
        }
        for (size_t k = 0; k < store::effective_columns().size(); ++k)
            if (const std::string_view given = v[columns_.respelled + k]; !given.empty())
                respelled_.emplace(row.run_id, k, std::string(given), std::string(v[effective_index(k)]));
    }

    // Into `data`, whose records are all read: the respellings and stops of its records' runs alone.
    void finish(Dataset& data) const {
        for (const auto& [path, facts] : models_) data.models.push_back(facts);
        const std::vector<int64_t> runs = data.run_ids();
        for (size_t k = 0; k < store::effective_columns().size(); ++k) {
            std::set<std::pair<std::string, std::string>> pairs; // in the order of their texts
            for (const auto& [run, column, given, effective] : respelled_)
                if (column == k && std::binary_search(runs.begin(), runs.end(), run)) pairs.emplace(given, effective);
            for (const auto& [given, effective] : pairs)
                data.respellings.push_back({std::string(store::effective_columns()[k]), given, effective});
        }
        for (const auto& [key, count] : stops_)
            if (std::binary_search(runs.begin(), runs.end(), key.first)) data.stops[key.first].push_back(count);
    }

private:
    static int64_t integer(std::string_view text) {
        int64_t value = 0;
        std::from_chars(text.data(), text.data() + text.size(), value);
        return value;
    }
    static size_t effective_index(size_t k) { return parameter_index(store::effective_columns()[k]); }

    Columns columns_;
    std::map<std::string, store::ModelRow, std::less<>> models_;
    store::ModelRow* facts_ = nullptr;
    std::string path_, type_, size_, n_params_; // of the last row
    std::map<std::pair<int64_t, std::string>, store::StopCount> stops_;
    store::StopCount* stop_ = nullptr;
    int64_t stop_run_ = 0;
    std::set<std::tuple<int64_t, size_t, std::string, std::string>> respelled_; // run, column, given, effective
};

} // namespace

Dataset load_dataset(store::Store& store, const Filters& filters) {
    for (const auto& [name, value] : filters.where) check_parameter(name);
    std::vector<store::ResultColumn> columns;
    using Of = store::ResultColumn::Of;
    auto among = [](const auto& list, std::string_view name) {
        return std::find(list.begin(), list.end(), name) != list.end();
    };
    for (const std::string_view name : parameter_list())
        columns.push_back({std::string(name == "model" ? "model_filename" : name), among(run_parameters, name) ? Of::run
                                                                                   : is_recorded_state(name)
                                                                                       ? Of::loads
                                                                                       : Of::result});
    // A filter on a setting with two spellings (load_mode auto that came to mmap) matches either: the value as
    // given is read too, after the parameters.
    std::vector<std::optional<size_t>> given(filters.where.size());
    for (size_t w = 0; w < filters.where.size(); ++w)
        if (store::has_effective_value(filters.where[w].first)) {
            given[w] = columns.size();
            columns.push_back({filters.where[w].first, Of::result, true});
        }
    const size_t model_index = 0; // parameter_list's first: the file's name, as Record::model
    RunsAndModels runs_and_models(
        {parameter_index("model_type"), columns.size(), columns.size() + 1, columns.size() + 2, columns.size() + 3});
    columns.push_back({"model_size", Of::result});
    columns.push_back({"model_n_params", Of::result});
    columns.push_back({"stop_reason", Of::result});
    for (const std::string_view name : store::effective_columns())
        columns.push_back({std::string(name), Of::respelled});
    // The samples, as stored, are read on a connection and thread of their own from the start, while the models
    // and the results load, where the database is a file (a million results' five million samples: about a
    // second less).
    std::future<SamplesRead> samples_read;
    if (auto reader = store.another_reader())
        samples_read = std::async(std::launch::async, [reader = std::move(reader), run_id = filters.run_id] {
            SamplesRead read;
            read.samples.reserve(reader->count_samples(run_id));
            advise_huge_pages(read.samples.data(), read.samples.capacity() * sizeof(read.samples[0]));
            reader->read_samples(
                run_id, store::Store::SampleOrder::stored, [&](int64_t result_id, int64_t repetition, double ts) {
                    if (auto why = domain::implausible_ts(ts))
                        read.implausible.emplace_back(read.samples.size(), std::move(*why));
                    read.samples.push_back({result_id, static_cast<int32_t>(repetition), static_cast<float>(ts)});
                });
            return read;
        });
    Dataset data;
    data.model_names = domain::short_model_names(store.model_paths()); // of every result's path
    // Per value number, the parameters it is already a distinct value of (a bit each): among all, among ok.
    const size_t parameters = parameter_list().size();
    std::vector<std::pair<uint64_t, uint64_t>> seen;
    std::vector<std::pair<std::string_view, std::optional<uint32_t>>> last(parameters); // into the value table
    // The large arrays are written on huge pages where the kernel gives them: a million results' report faulted
    // 160,000 pages of 4 KiB in, at several microseconds each on a virtual machine.
    data.records.reserve(store.count_results(filters.run_id));
    advise_huge_pages(data.records.data(), data.records.capacity() * sizeof(Record));
    ValueTable& table = *data.values;
    // Neighbouring results mostly share their texts and values: each is checked against the last one before the
    // table is asked.
    const auto held = [&table](std::string_view text, std::string_view& last) {
        if (text != last || last.data() == nullptr) last = table.text(text);
        return last;
    };
    std::string last_path;
    std::string_view last_model, last_metric, last_status, last_error;
    std::vector<size_t> varying; // the parameters numbered at each result (known at the first)
    bool any_ok = false;         // whether an ok record is kept yet
    // The distinct combinations held so far (the numbers of the values that vary, as the table holds them), found
    // by their hash; only while loading.
    const auto hash = [&](const uint32_t* held) {
        uint64_t h = 0xcbf29ce484222325ull; // FNV-1a over the values' numbers
        for (size_t k = 0; k < varying.size(); ++k) h = (h ^ held[k]) * 0x100000001b3ull;
        return h;
    };
    const auto same = [&](const uint32_t* a, const uint32_t* b) { return std::equal(a, a + varying.size(), b); };
    // Room for a combination per result from the start: a million results are not rehashed twenty times.
    std::unordered_set<const uint32_t*, decltype(hash), decltype(same)> combinations(data.records.capacity(), hash,
                                                                                     same);
    std::vector<uint32_t> ids(parameters), varying_ids; // every parameter's number; those that vary
    const uint32_t* last_ids = nullptr;
    store.read_results(filters.run_id, columns, [&](store::ResultRow&& row) {
        Record record;
        record.result_id = row.id;
        record.run_id = row.run_id;
        if (row.model_filename != last_path) {
            last_path = row.model_filename;
            last_model = table.text(data.model_name(last_path));
        }
        record.model = last_model;
        record.metric = held(row.metric, last_metric);
        record.avg_ts = row.avg_ts;
        record.stddev_ts = row.stddev_ts;
        record.repetitions = row.repetitions;
        record.status = held(row.status, last_status);
        record.error = held(row.error, last_error);
        // A figure no machine can give (a merged or edited database): the record is left out, and says why.
        if (record.status == "ok") {
            auto why = domain::implausible_ts(record.avg_ts);
            if (!why && !std::isfinite(record.stddev_ts))
                why = fmt::format("its sd of t/s {} is not a number", record.stddev_ts);
            if (why) {
                record.status = table.text("invalid");
                record.error = table.text(fmt::format("left out: {}", *why));
                ++data.left_out;
            }
        }
        if (row.ttft_ms || row.itl_p50_ms || row.itl_p90_ms || row.itl_p99_ms) {
            record.latencies = static_cast<uint32_t>(data.latencies.size());
            data.latencies.push_back({row.ttft_ms, row.itl_p50_ms, row.itl_p90_ms, row.itl_p99_ms});
        }
        row.values[model_index] = record.model;
        // A setting of one value for every result is numbered at the first result; the others at each.
        const auto number = [&](size_t i) {
            auto& [text, id] = last[i];
            if (row.values[i] != text || !id) id = table.intern(row.values[i]), text = table.at(*id);
            ids[i] = *id;
        };
        if (!last_ids) {
            for (size_t i = 0; i < parameters; ++i) {
                number(i);
                if (!row.same_for_all[i] || i == model_index) varying.push_back(i);
            }
            table.set_layout(ids, varying);
            varying_ids.resize(varying.size());
        } else {
            for (const size_t i : varying) number(i);
        }
        for (size_t k = 0; k < varying.size(); ++k) varying_ids[k] = ids[varying[k]];
        if (!last_ids || !same(varying_ids.data(), last_ids)) {
            const auto found = combinations.find(varying_ids.data());
            last_ids = found != combinations.end() ? *found : *combinations.insert(table.hold(varying_ids)).first;
        }
        record.params = Params(&table, last_ids);
        if (record.metric == "serve") {
            const std::string& clients = record.params.at(param::concurrency);
            const std::string load =
                clients != "0" && !clients.empty() ? "concurrency " + clients : "rate " + record.params.at(param::rate);
            record.load = table.text(load);
            record.model_at_load = table.text(fmt::format("{} · {}", record.model, load));
        }
        runs_and_models.add(row);
        if (filters.model && *filters.model != record.model && *filters.model != row.model_filename &&
            *filters.model != std::filesystem::path(row.model_filename).filename().string())
            return;
        for (size_t w = 0; w < filters.where.size(); ++w) {
            const auto& [name, value] = filters.where[w];
            if (record.params.at(name) != value && (!given[w] || row.values[*given[w]] != value)) return;
        }
        // Each parameter's distinct values, as they come (a setting of one value: at the first record, and at the
        // first that is ok).
        const bool ok = record.status == "ok";
        const auto note = [&](size_t i) {
            const uint32_t id = record.params.id(i);
            if (seen.size() <= id) seen.resize(id + 1);
            auto& [among_all, among_ok] = seen[id];
            const auto bit = uint64_t{1} << i;
            if (!(among_all & bit)) among_all |= bit, data.distinct_all[i].push_back(id);
            if (ok && !(among_ok & bit)) among_ok |= bit, data.distinct_ok[i].push_back(id);
        };
        if (data.records.empty() || (ok && !any_ok)) {
            for (size_t i = 0; i < parameters; ++i) note(i);
        } else {
            for (const size_t i : varying) note(i);
        }
        any_ok = any_ok || ok;
        data.records.push_back(std::move(record));
    });
    // Records come in result id order, and samples as stored: in the same order, each result's in repetition
    // order, as llmsweep writes them. One walk matches them. A database written otherwise (by hand) has its
    // samples read again, sorted.
    size_t next = 0;
    const size_t left_out = data.left_out;
    std::pair<int64_t, int64_t> last_sample{-1, -1};
    bool in_order = true;
    // `why`: what makes the sample's figure impossible, where it is.
    const auto take = [&](int64_t result_id, int64_t repetition, float ts, const std::string* why) {
        if (!in_order) return;
        if (std::pair{result_id, repetition} <= last_sample) {
            in_order = false;
            return;
        }
        last_sample = {result_id, repetition};
        while (next < data.records.size() && data.records[next].result_id < result_id) ++next;
        if (next == data.records.size() || data.records[next].result_id != result_id) return; // filtered out
        Record& r = data.records[next];
        if (why) { // left out, and said
            ++data.left_out;
            if (data.left_out_samples.size() < Dataset::listed_at_most)
                data.left_out_samples.push_back(fmt::format("{} {} (result {}), repetition {}: {}", r.model, r.metric,
                                                            r.result_id, repetition + 1, *why));
            return;
        }
        if (r.samples_count == 0) r.samples_begin = static_cast<uint32_t>(data.samples.size());
        data.samples.push_back({static_cast<int32_t>(repetition), ts});
        ++r.samples_count;
    };
    const auto take_read = [&](int64_t result_id, int64_t repetition, double ts) {
        const auto why = domain::implausible_ts(ts);
        take(result_id, repetition, static_cast<float>(ts), why ? &*why : nullptr);
    };
    if (samples_read.valid()) {
        const SamplesRead read = samples_read.get();
        data.samples.reserve(read.samples.size());
        advise_huge_pages(data.samples.data(), data.samples.capacity() * sizeof(Sample));
        auto odd = read.implausible.begin();
        for (size_t i = 0; i < read.samples.size() && in_order; ++i) {
            const bool left = odd != read.implausible.end() && odd->first == i;
            take(read.samples[i].result_id, read.samples[i].repetition, read.samples[i].ts,
                 left ? &(odd++)->second : nullptr);
        }
    } else {
        store.read_samples(filters.run_id, store::Store::SampleOrder::stored, take_read);
    }
    if (!in_order) {
        for (Record& r : data.records) r.samples_begin = r.samples_count = 0;
        data.samples.clear();
        data.left_out = left_out;
        data.left_out_samples.clear();
        next = 0;
        last_sample = {-1, -1};
        in_order = true;
        store.read_samples(filters.run_id, store::Store::SampleOrder::by_result, take_read);
    }
    data.samples.shrink_to_fit();
    runs_and_models.finish(data);
    return data;
}

std::string Dataset::model_name(const std::string& path) const {
    const auto found = model_names.find(path);
    return found != model_names.end() ? found->second : std::filesystem::path(path).filename().string();
}

std::vector<int64_t> Dataset::run_ids() const {
    std::set<int64_t> ids;
    for (const Record& r : records) ids.insert(r.run_id);
    return {ids.begin(), ids.end()};
}

std::vector<std::string> values_of(const Dataset& data, std::string_view parameter, Among among) {
    const size_t index = parameter_index(parameter);
    std::vector<std::string> values;
    for (const uint32_t id : (among == Among::ok ? data.distinct_ok : data.distinct_all)[index]) {
        const std::string& value = data.values->at(id);
        // Not one of its values: not applicable (server settings of other modes, the binary of one-binary runs).
        if (value.empty() && (is_server_parameter(parameter) || parameter == "llama_bench")) continue;
        values.push_back(value);
    }
    // Settings with a natural order put the "off" or default state first, so that it is the baseline.
    static const std::map<std::string, std::vector<std::string>, std::less<>> natural = [] {
        std::map<std::string, std::vector<std::string>, std::less<>> orders = {
            {"huge_pages_used", {"no", "yes", "mixed", "unknown"}},
            {"engine", {"llama-bench", "native"}}, // llama-bench is the reference llmsweep's engine is held to
            {"mode", {"request", "split", "server"}}};
        for (const domain::Knob& knob : domain::knobs())
            if (!knob.order.empty()) orders.emplace(knob.name, split(knob.order, ","));
        return orders;
    }();
    if (const auto order = natural.find(parameter); order != natural.end()) {
        auto rank = [&](const std::string& v) {
            return std::find(order->second.begin(), order->second.end(), v) - order->second.begin();
        };
        std::stable_sort(values.begin(), values.end(),
                         [&](const std::string& x, const std::string& y) { return rank(x) < rank(y); });
        return values;
    }
    double a = 0, b = 0;
    if (std::all_of(values.begin(), values.end(), [&](const std::string& v) { return is_number(v, a); }))
        std::sort(values.begin(), values.end(), [&](const std::string& x, const std::string& y) {
            is_number(x, a);
            is_number(y, b);
            return a < b;
        });
    return values;
}

namespace {

// What each worker process loads with (or each llama-server starts with): the loads are summarized per value.
bool is_load_parameter(const std::string& name) {
    const domain::Knob* knob = domain::find_knob(name);
    return knob && (knob->of_load() || knob->scope() == domain::Knob::Scope::server);
}

} // namespace

std::vector<BusyVisit> busy_visits(store::Store& store, const Dataset& data, const std::string& compare) {
    std::set<std::string> models;
    for (const Record& r : data.records) models.emplace(r.model);
    const std::vector<int64_t> runs = data.run_ids();
    std::vector<BusyVisit> busy;
    for (const store::LoadRow& load : store.read_loads(is_load_parameter(compare) ? compare : "")) {
        const std::string model = data.model_name(load.model_filename);
        if (!models.count(model) || !std::binary_search(runs.begin(), runs.end(), load.run_id)) continue;
        if (!load.other_cpu_cores || !load.steal_percent) continue;
        if (!under_outside_load(*load.other_cpu_cores, *load.steal_percent)) continue;
        busy.push_back({model, load.value, load.run_id, load.round, *load.other_cpu_cores, *load.steal_percent,
                        load.load_average.value_or(0)});
    }
    return busy;
}

std::vector<LoadSummary> summarize_loads(store::Store& store, const Dataset& data, const std::string& compare) {
    const bool by_value = is_load_parameter(compare);
    std::set<std::string> models;
    for (const Record& r : data.records) models.emplace(r.model);
    const std::vector<int64_t> runs = data.run_ids();
    struct Samples {
        size_t loads = 0;
        std::vector<double> load_ms, rss_mib, major, minor, anon_huge_mib, file_pmd_mib, peak_anon_mib, peak_file_mib,
            cached_before_mib, cached_after_mib, mmproj_load_ms, mmproj_mib, first_image_ms;
        size_t evicted = 0;
        std::set<std::string> thp_modes, model_buffers;
    };
    std::vector<std::tuple<std::string, std::string, std::string>> order;
    std::map<std::tuple<std::string, std::string, std::string>, Samples> groups;
    for (const store::LoadRow& load : store.read_loads(by_value ? compare : "")) {
        const std::string model = data.model_name(load.model_filename);
        if (!models.count(model) || !std::binary_search(runs.begin(), runs.end(), load.run_id)) continue;
        const auto key = std::make_tuple(model, load.value, load.cache_state);
        if (!groups.count(key)) order.push_back(key);
        Samples& g = groups[key];
        ++g.loads;
        if (load.load_ms) g.load_ms.push_back(*load.load_ms);
        g.rss_mib.push_back(load.rss_peak_bytes / 1048576.0);
        g.major.push_back(load.major_faults);
        g.minor.push_back(load.minor_faults);
        g.evicted += load.evicted ? 1 : 0;
        if (load.anon_huge_kb) g.anon_huge_mib.push_back(*load.anon_huge_kb / 1024.0);
        if (load.file_pmd_kb) g.file_pmd_mib.push_back(*load.file_pmd_kb / 1024.0);
        if (load.peak_anon_kb) g.peak_anon_mib.push_back(*load.peak_anon_kb / 1024.0);
        if (load.peak_file_kb) g.peak_file_mib.push_back(*load.peak_file_kb / 1024.0);
        if (load.resident_before_bytes) g.cached_before_mib.push_back(*load.resident_before_bytes / 1048576.0);
        if (load.resident_after_bytes) g.cached_after_mib.push_back(*load.resident_after_bytes / 1048576.0);
        if (load.mmproj_load_ms) g.mmproj_load_ms.push_back(*load.mmproj_load_ms);
        if (load.mmproj_rss_bytes) g.mmproj_mib.push_back(*load.mmproj_rss_bytes / 1048576.0);
        if (load.first_image_ms) g.first_image_ms.push_back(*load.first_image_ms);
        if (!load.thp_mode.empty()) g.thp_modes.insert(load.thp_mode);
        if (!load.model_buffers.empty()) g.model_buffers.insert(load.model_buffers);
    }
    // In the report's order: by model, then the compared values' order, warm before cold.
    const std::vector<std::string> values =
        by_value ? values_of(data, compare, Among::all) : std::vector<std::string>();
    const auto rank = [&](const std::tuple<std::string, std::string, std::string>& key) {
        return std::make_tuple(std::get<0>(key),
                               std::find(values.begin(), values.end(), std::get<1>(key)) - values.begin(),
                               std::get<2>(key) != "warm", std::get<2>(key));
    };
    std::stable_sort(order.begin(), order.end(), [&](const auto& a, const auto& b) { return rank(a) < rank(b); });
    std::vector<LoadSummary> summaries;
    for (const auto& key : order) {
        const Samples& g = groups[key];
        LoadSummary summary{std::get<0>(key), std::get<1>(key), std::get<2>(key), g.loads};
        if (!g.load_ms.empty()) {
            const auto load = stats::mean_sd(g.load_ms);
            summary.load_ms_mean = load.mean, summary.load_ms_sd = load.sd;
        }
        summary.rss_peak_mib_mean = stats::mean_sd(g.rss_mib).mean;
        summary.major_faults_mean = stats::mean_sd(g.major).mean;
        summary.minor_faults_mean = stats::mean_sd(g.minor).mean;
        summary.evicted = g.evicted;
        if (!g.anon_huge_mib.empty()) summary.anon_huge_mib_mean = stats::mean_sd(g.anon_huge_mib).mean;
        if (!g.file_pmd_mib.empty()) summary.file_pmd_mib_mean = stats::mean_sd(g.file_pmd_mib).mean;
        const auto mean = [](const std::vector<double>& v) {
            return v.empty() ? std::nullopt : std::optional<double>(stats::mean_sd(v).mean);
        };
        summary.mmproj_load_ms_mean = mean(g.mmproj_load_ms);
        summary.mmproj_mib_mean = mean(g.mmproj_mib);
        summary.first_image_ms_mean = mean(g.first_image_ms);
        summary.peak_anon_mib_mean = mean(g.peak_anon_mib);
        summary.peak_file_mib_mean = mean(g.peak_file_mib);
        summary.cached_before_mib_mean = mean(g.cached_before_mib);
        summary.cached_after_mib_mean = mean(g.cached_after_mib);
        summary.thp_modes = fmt::format("{}", fmt::join(g.thp_modes, ", "));
        summary.model_buffers = fmt::format("{}", fmt::join(g.model_buffers, "; "));
        summaries.push_back(std::move(summary));
    }
    return summaries;
}

bool metric_before(std::string_view a, std::string_view b) {
    static const std::vector<std::string_view> order = {"img", "ipp", "pp", "tg", "pg"};
    auto rank = [](std::string_view m) { return std::find(order.begin(), order.end(), m) - order.begin(); };
    return std::make_tuple(rank(a), a) < std::make_tuple(rank(b), b);
}

std::vector<std::string> varying_parameters(const Dataset& data) {
    std::vector<std::string> varying;
    for (const auto& name : parameter_names())
        if (!is_recorded_state(name) && values_of(data, name).size() > 1) varying.push_back(name);
    return varying;
}

} // namespace llmsweep::analysis
