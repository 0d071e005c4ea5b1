#include "report/report_model.hpp"

#include "core/error.hpp"
#include "core/text.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

namespace llmsweep::report {
namespace {

// The runs the report's results come from (a filter that excludes a run excludes it here too), with their stop
// reasons as counted while the results were read.
std::vector<store::RunRow> read_runs(store::Store& store, const analysis::Dataset& data) {
    const std::vector<int64_t> ids = data.run_ids();
    std::vector<store::RunRow> runs;
    for (store::RunRow& r : store.read_runs(store::Store::Stops::not_counted)) {
        if (!std::binary_search(ids.begin(), ids.end(), r.id)) continue;
        if (const auto stops = data.stops.find(r.id); stops != data.stops.end()) r.stops = stops->second;
        runs.push_back(std::move(r));
    }
    return runs;
}

// The looks of the runs that decided comparisons as they went; of several, from the fewest first repetitions
// to the most last ones (more looks: each at a smaller share of alpha).
std::optional<analysis::Looks> looks_of(const std::vector<store::RunRow>& runs) {
    std::optional<analysis::Looks> looks;
    for (const store::RunRow& r : runs) {
        if (r.decide.empty() || !r.max_repetitions) continue;
        if (!looks) looks = analysis::Looks{r.repetitions, *r.max_repetitions};
        looks->first = std::min(looks->first, r.repetitions);
        looks->last = std::max(looks->last, *r.max_repetitions);
    }
    return looks;
}

// Per model, the huge-page states (huge_pages_used) of each compared value's ok records, where one value ran
// with huge pages and another without.
std::vector<ReportModel::HugePagesDiffer> huge_pages_differ(const ReportModel& m) {
    std::vector<ReportModel::HugePagesDiffer> differ;
    if (analysis::is_recorded_state(m.compare) || m.compare == param::huge_pages) return differ;
    for (const std::string& model : m.models) {
        ReportModel::HugePagesDiffer d{model, {}};
        bool with = false, without = false;
        const size_t compared = analysis::parameter_index(m.compare),
                     used = analysis::parameter_index("huge_pages_used");
        for (const std::string& value : m.values) {
            std::set<const std::string*> seen; // values, each held once in the dataset's table
            for (const analysis::Record& r : m.data.records)
                if (r.status == "ok" && r.model == model && *r.params.at(compared) == value)
                    seen.insert(r.params.at(used));
            std::set<std::string> states;
            for (const std::string* state : seen) states.insert(*state);
            if (states.empty()) continue;
            with |= states.count("yes") > 0;
            without |= states.count("no") > 0;
            d.used.emplace_back(value, fmt::format("{}", fmt::join(states, ", ")));
        }
        // Only a difference between values counts: every value on huge pages (or none) is one state.
        const bool all_same =
            std::all_of(d.used.begin(), d.used.end(), [&](const auto& u) { return u.second == d.used.front().second; });
        if (with && without && !all_same) differ.push_back(std::move(d));
    }
    return differ;
}

// What makes runs one design, whose rounds may be pooled without asking: the same sweep (its spec, whichever
// shard), started the same day; for imports, llama-bench's repetitions.
std::string design_of(const store::RunRow& run) {
    if (run.source == "import") return fmt::format("import of {} repetitions", run.repetitions);
    auto spec = nlohmann::json::parse(run.spec_key, nullptr, false);
    if (spec.is_object()) spec.erase("shard");
    return fmt::format("{} {}", spec.dump(), run.started_at.substr(0, 10));
}

// How a run is described when it cannot be pooled: what tells designs apart at a glance.
std::string describe_run(const store::RunRow& run) {
    std::string repetitions = run.max_repetitions
                                  ? fmt::format("{}-{} repetitions, adaptive", run.repetitions, *run.max_repetitions)
                                  : fmt::format("{} repetitions", run.repetitions);
    return fmt::format("run {} ({}, {}, {} order, started {})", run.id, run.source == "import" ? "imported" : "swept",
                       repetitions, run.order, run.started_at);
}

// Comparisons within runs pool the rounds of every run that measured both values: refused when those runs are of
// different designs, unless asked for. Notes the runs used and pooled.
void check_runs(ReportModel& m, bool pool_runs) {
    std::set<int64_t> used, pooled, left_out;
    for (const analysis::PairedComparison& c : m.comparisons) {
        used.insert(c.runs.begin(), c.runs.end());
        left_out.insert(c.runs_left_out.begin(), c.runs_left_out.end());
        if (c.design == analysis::Design::between_runs) {
            m.between_runs = true;
            continue;
        }
        if (c.runs.size() < 2) continue;
        pooled.insert(c.runs.begin(), c.runs.end());
        std::set<std::string> designs;
        std::vector<std::string> described;
        for (const store::RunRow& run : m.runs)
            if (std::find(c.runs.begin(), c.runs.end(), run.id) != c.runs.end()) {
                designs.insert(design_of(run));
                described.push_back(describe_run(run));
            }
        if (designs.size() > 1 && !pool_runs)
            throw UsageError(fmt::format(
                "the comparison of {} would pool the rounds of runs of different designs: {}; choose one with "
                "--run N (or --where run=N), or pool them with --pool-runs",
                m.compare, fmt::join(described, "; ")));
    }
    for (const int64_t run : used) left_out.erase(run);
    m.runs_used.assign(used.begin(), used.end());
    m.runs_pooled.assign(pooled.begin(), pooled.end());
    m.runs_left_out.assign(left_out.begin(), left_out.end());
}

// Each comparison's blocks (or runs) that held a visit measured beside other work.
void count_busy_blocks(ReportModel& m) {
    for (analysis::PairedComparison& c : m.comparisons) {
        std::set<std::pair<int64_t, int64_t>> busy;
        for (const analysis::BusyVisit& v : m.busy_visits) {
            if (!c.model.empty() && v.model != c.model) continue;
            if (!v.value.empty() && v.value != c.value && v.value != c.baseline) continue;
            for (const auto& block : c.blocks)
                if (block.run == v.run_id &&
                    (c.design == analysis::Design::between_runs || block.repetition == v.round))
                    busy.insert({block.run, block.repetition});
        }
        c.busy_blocks = busy.size();
    }
}

} // namespace

ReportModel build_report(store::Store& store, const std::string& source, const ReportOptions& options) {
    ReportModel m;
    build_report(m, store, source, options, {});
    return m;
}

void build_report(ReportModel& m, store::Store& store, const std::string& source, const ReportOptions& options,
                  const std::function<void()>& loaded) {
    m.source = source;
    m.generated_at = store::utc_now();
    m.cv_warning_percent = options.cv_warning_percent;
    m.margin_pct = options.margin_pct;
    if (!store.has_results())
        throw UsageError(fmt::format("'{}' has no results yet; run a sweep into it first with 'llmsweep run'", source));
    m.data = analysis::load_dataset(store, options.filters);
    if (m.data.records.empty())
        throw UsageError("no results match --model/--where; drop a filter, or check its value with 'llmsweep report' "
                         "without filters");
    if (loaded) loaded();
    m.compare = analysis::choose_compare(m.data, options.compare);
    m.varying = analysis::varying_parameters(m.data);
    m.values = analysis::values_of(m.data, m.compare);
    m.summaries = analysis::summarize(m.data, m.compare);
    m.runs = read_runs(store, m.data);
    m.respellings = m.data.respellings;
    m.looks = looks_of(m.runs);
    // One group (nothing but the test sizes varies) has nothing to compare, unless a --baseline asks to.
    // A model is named by its short name: --baseline models/a.gguf is a.gguf where no other a.gguf was measured.
    std::optional<std::string> baseline = options.baseline;
    if (baseline && m.compare == "model" && !std::count(m.values.begin(), m.values.end(), *baseline))
        baseline = m.data.model_name(*baseline);
    if (m.compares() || baseline)
        m.comparisons = analysis::compare_paired(m.data, m.compare, baseline, options.margin_pct, m.looks);
    m.baseline = baseline.value_or(m.values.empty() ? std::string() : m.values.front());
    check_runs(m, options.pool_runs);
    m.loads = analysis::summarize_loads(store, m.data, m.compare);
    m.busy_visits = analysis::busy_visits(store, m.data, m.compare);
    count_busy_blocks(m);
    m.latencies = analysis::summarize_latency(m.data, m.compare);
    const auto profiles = store.read_model_profiles();
    const auto machines = store.read_machines();
    m.roofline_measured = !profiles.empty() || !machines.empty();
    m.roofline = analysis::roofline(m.data, m.compare, profiles, machines);
    domain::Slo slo;
    if (options.slo) slo = *options.slo;
    else if (const auto given = store.run_slos(); !given.empty()) {
        try {
            slo = domain::parse_slo(given.front(), "the stored objective");
        } catch (const UsageError& e) {
            m.stored_slo_ignored = {shortened(given.front()), shortened(e.what(), 200)};
        }
    }
    m.serving = analysis::summarize_serving(store, m.data, m.compare, slo);
    m.vision = analysis::summarize_vision(store, m.data, m.compare, m.varying);

    // The test sizes' ranges, from their distinct values among every record.
    const auto range_of = [&](std::string_view name) {
        std::optional<analysis::Range> range;
        for (const uint32_t id : m.data.distinct_all[analysis::parameter_index(name)]) {
            const double x = std::strtod(m.data.values->at(id).c_str(), nullptr);
            range = range ? analysis::Range{std::min(range->min, x), std::max(range->max, x)} : analysis::Range{x, x};
        }
        return range.value_or(analysis::Range{});
    };
    m.n_prompt = range_of(param::n_prompt);
    m.n_gen = range_of(param::n_gen);
    for (const auto& r : m.data.records) {
        if (std::find(m.models.begin(), m.models.end(), r.model) == m.models.end()) m.models.emplace_back(r.model);
        if (std::find(m.metrics.begin(), m.metrics.end(), r.metric) == m.metrics.end())
            m.metrics.emplace_back(r.metric);
        if (r.status != "ok") m.not_ok.push_back(&r);
        else if (r.cv_percent() > options.cv_warning_percent) m.high_cv.push_back(&r);
    }
    std::sort(m.metrics.begin(), m.metrics.end(), analysis::metric_before);
    std::sort(m.models.begin(), m.models.end()); // as the comparisons and the loads order them
    m.groups = analysis::is_model_parameter(m.compare) ? std::vector<std::string>{""} : m.models;
    // Server mode: each model at each load is a group (analysis::group_of).
    if (std::any_of(m.data.records.begin(), m.data.records.end(),
                    [](const analysis::Record& r) { return !r.load.empty(); })) {
        m.groups.clear();
        for (const analysis::Record& r : m.data.records)
            if (const std::string_view group = analysis::group_of(r, m.compare);
                std::find(m.groups.begin(), m.groups.end(), group) == m.groups.end())
                m.groups.emplace_back(group);
        std::sort(m.groups.begin(), m.groups.end(), analysis::group_before); // as the comparisons are ordered
    }
    // Paths of one short name (x.gguf and ./x.gguf) are one model to the report.
    for (store::ModelRow row : m.data.models) {
        row.model_filename = m.data.model_name(row.model_filename);
        const bool shown = std::binary_search(m.models.begin(), m.models.end(), row.model_filename);
        const bool seen = std::any_of(m.model_facts.begin(), m.model_facts.end(),
                                      [&](const auto& f) { return f.model_filename == row.model_filename; });
        if (shown && !seen) m.model_facts.push_back(std::move(row));
    }
    // A report lists the worst points, not thousands of them.
    m.high_cv_count = m.high_cv.size();
    m.not_ok_count = m.not_ok.size();
    std::sort(m.high_cv.begin(), m.high_cv.end(),
              [](const analysis::Record* a, const analysis::Record* b) { return a->cv_percent() > b->cv_percent(); });
    if (m.high_cv.size() > ReportModel::listed_at_most) m.high_cv.resize(ReportModel::listed_at_most);
    if (m.not_ok.size() > ReportModel::listed_at_most) m.not_ok.resize(ReportModel::listed_at_most);
    m.huge_pages_differ = huge_pages_differ(m);
    if (std::find(analysis::run_parameters.begin(), analysis::run_parameters.end(), m.compare) ==
        analysis::run_parameters.end()) {
        const size_t compared = analysis::parameter_index(m.compare), host = analysis::parameter_index("hostname");
        std::vector<std::set<std::string>> hosts(m.values.size());
        std::set<std::pair<const std::string*, const std::string*>> seen; // (value, host), held once in the table
        for (const analysis::Record& r : m.data.records)
            if (r.status == "ok") seen.emplace(r.params.at(compared), r.params.at(host));
        for (const auto& [value, hostname] : seen)
            for (size_t v = 0; v < m.values.size(); ++v)
                if (*value == m.values[v]) hosts[v].insert(*hostname);
        if (std::any_of(hosts.begin(), hosts.end(), [&](const auto& h) { return h != hosts.front(); }))
            for (size_t v = 0; v < m.values.size(); ++v)
                m.hosts_by_value.emplace_back(m.values[v], fmt::format("{}", fmt::join(hosts[v], ", ")));
    }
    // Counts per value x model x metric, from the same summaries the tables show.
    for (const auto& value : m.values)
        for (const auto& g : m.summaries)
            if (g.value == value) m.counts.push_back({value, g.model, g.metric, g.n + g.not_ok});
}

} // namespace llmsweep::report
