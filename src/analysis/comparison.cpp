#include "analysis/comparison.hpp"

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "domain/parameter_names.hpp"
#include "stats/descriptive.hpp"
#include "stats/sequential.hpp"
#include "stats/tests.hpp"

#include <boost/math/distributions/normal.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <numeric>
#include <set>
#include <span>
#include <tuple>
#include <unordered_map>

namespace llmsweep::analysis {
namespace {

bool is_run_parameter(std::string_view name) {
    return std::find(run_parameters.begin(), run_parameters.end(), name) != run_parameters.end();
}

// What names the build that measured: the run's, and the binary of a run of several llama-bench binaries (whose
// build is its result's). Comparing one of them, the others go with it.
bool is_build_parameter(std::string_view name) { return is_run_parameter(name) || name == "llama_bench"; }

double as_number(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

// Separate runs of each value: a run's level is the mean over the pairs' points it measured of its log t/s there,
// less the point's mean over every run (so that a run that measured fewer points is not judged by which ones),
// and the effect is the difference of the values' mean levels (stats::estimate_from_runs). Points' effects: per
// point, the difference of its mean levels.
stats::BlockedEffect between_runs_effect(const std::map<int64_t, std::map<size_t, double>>& value_runs,
                                         const std::map<int64_t, std::map<size_t, double>>& baseline_runs,
                                         size_t points) {
    std::vector<double> point_sum(points, 0.0), value_sum(points, 0.0), baseline_sum(points, 0.0);
    std::vector<size_t> point_n(points, 0), value_n(points, 0), baseline_n(points, 0);
    for (const auto* side : {&value_runs, &baseline_runs})
        for (const auto& [run, levels] : *side)
            for (const auto& [point, level] : levels) {
                point_sum[point] += level, ++point_n[point];
                auto& sum = side == &value_runs ? value_sum : baseline_sum;
                auto& n = side == &value_runs ? value_n : baseline_n;
                sum[point] += level, ++n[point];
            }
    const auto levels_of = [&](const std::map<int64_t, std::map<size_t, double>>& side) {
        std::vector<double> levels;
        for (const auto& [run, by_point] : side) {
            double sum = 0;
            for (const auto& [point, level] : by_point)
                sum += level - point_sum[point] / static_cast<double>(point_n[point]);
            if (!by_point.empty()) levels.push_back(sum / static_cast<double>(by_point.size()));
        }
        return levels;
    };
    stats::BlockedEffect effect;
    effect.all = stats::estimate_from_runs(levels_of(value_runs), levels_of(baseline_runs));
    std::vector<double> point_effects;
    for (size_t p = 0; p < points; ++p)
        if (value_n[p] > 0 && baseline_n[p] > 0)
            point_effects.push_back(value_sum[p] / static_cast<double>(value_n[p]) -
                                    baseline_sum[p] / static_cast<double>(baseline_n[p]));
    effect.points = point_effects.size();
    if (!point_effects.empty()) {
        std::sort(point_effects.begin(), point_effects.end());
        const auto percent = [](double log_ratio) { return 100.0 * std::expm1(log_ratio); };
        effect.point_min = percent(point_effects.front());
        effect.point_q1 = percent(stats::quantile_sorted(point_effects, 0.25));
        effect.point_median = percent(stats::quantile_sorted(point_effects, 0.5));
        effect.point_q3 = percent(stats::quantile_sorted(point_effects, 0.75));
        effect.point_max = percent(point_effects.back());
    }
    return effect;
}

} // namespace

std::string choose_compare(const Dataset& data, const std::optional<std::string>& requested) {
    const std::vector<std::string> varying = varying_parameters(data);
    if (requested) {
        const auto& known = parameter_names();
        if (std::find(known.begin(), known.end(), *requested) == known.end())
            throw UsageError(fmt::format("unknown parameter '{}' for --compare; choose from {}", *requested,
                                         fmt::join(known, ", ")));
        if (std::find(varying.begin(), varying.end(), *requested) == varying.end())
            throw UsageError(fmt::format("{} has one value in these results, so there is nothing to compare; "
                                         "parameters that vary: {}",
                                         *requested,
                                         varying.empty() ? "none" : fmt::format("{}", fmt::join(varying, ", "))));
        return *requested;
    }
    std::vector<std::string> candidates;
    // The model is compared only when asked: two models swept with two load modes compare the load modes.
    // The clients' load (concurrency, rate) is server mode's axis, like the test sizes: the serving section shows
    // each load, and comparing the throughput of two loads says nothing of a setting. So are the images (the
    // images section shows each).
    const auto axis = [](const std::string& name) {
        return is_test_size(name) || is_client_loop(name) || name == param::image_size || name == param::image ||
               name == param::images;
    };
    // A setting each model has one value of is the model's (a vision-language model's mmproj beside a text model
    // without one): comparing it is comparing the models.
    // (By the values' numbers: a record's model is its "model" parameter.)
    const size_t model = parameter_index("model");
    const auto of_the_models = [&](const std::string& name) {
        if (data.distinct_all[model].size() < 2) return false;
        const size_t setting = parameter_index(name);
        std::unordered_map<uint32_t, uint32_t> value_of_model;
        return std::all_of(data.records.begin(), data.records.end(), [&](const Record& r) {
            const uint32_t value = r.params.id(setting);
            return value_of_model.try_emplace(r.params.id(model), value).first->second == value;
        });
    };
    for (const auto& name : varying)
        if (!axis(name) && !is_model_parameter(name) && values_of(data, name).size() == 2 && !of_the_models(name))
            candidates.push_back(name);
    // Two binaries of a run of several are also two builds, where their commits differ: one question.
    if (std::find(candidates.begin(), candidates.end(), "llama_bench") != candidates.end())
        std::erase(candidates, std::string("build_commit"));
    if (candidates.size() == 1) return candidates.front();
    // Nothing varies but the test sizes (and the load): the results form one group, named by their test mode, and there is
    // nothing to compare.
    if (std::all_of(varying.begin(), varying.end(), [&](const std::string& name) {
            return axis(name) || is_model_parameter(name) || of_the_models(name);
        }))
        return "mode";
    throw UsageError(fmt::format("choose the parameter to compare with --compare; parameters that vary: {}",
                                 varying.empty() ? "none" : fmt::format("{}", fmt::join(varying, ", "))));
}

bool group_before(const std::string& a, const std::string& b) {
    const size_t x = a.rfind(' '), y = b.rfind(' ');
    if (x != std::string::npos && y != std::string::npos && a.compare(0, x, b, 0, y) == 0) {
        char *end_a = nullptr, *end_b = nullptr;
        const double p = std::strtod(a.c_str() + x + 1, &end_a), q = std::strtod(b.c_str() + y + 1, &end_b);
        if (*end_a == '\0' && *end_b == '\0' && p != q) return p < q;
    }
    return a < b;
}

std::string_view group_of(const Record& r, const std::string& compare) {
    if (!r.load.empty() && !is_client_loop(compare)) return is_model_parameter(compare) ? r.load : r.model_at_load;
    return is_model_parameter(compare) ? std::string_view() : r.model;
}

MatchKey::MatchKey(const std::string& compare, const Dataset& data) {
    const bool across_builds = is_build_parameter(compare), across_models = is_model_parameter(compare);
    const auto& names = parameter_list();
    for (size_t i = 0; i < names.size(); ++i)
        if (names[i] != compare && !(across_builds && is_build_parameter(names[i])) &&
            !(across_models && is_model_parameter(names[i])) && !is_recorded_state(names[i]) &&
            data.distinct_all[i].size() > 1)
            parameters_.push_back(i);
    // Every value's place in the order of its text followed by ';': a dataset holds a few hundred values, and a
    // million records' keys are then ordered by comparing numbers.
    const ValueTable& table = *data.values;
    std::vector<uint32_t> ids(table.size());
    std::iota(ids.begin(), ids.end(), 0u);
    std::sort(ids.begin(), ids.end(), [&table](uint32_t a, uint32_t b) {
        const std::string &x = table.at(a), &y = table.at(b);
        const size_t common = std::min(x.size(), y.size());
        if (const int c = x.compare(0, common, y, 0, common); c != 0) return c < 0;
        if (x.size() == y.size()) return false;
        // One is the start of the other: the shorter one's ';' against the longer one's next character.
        const auto next = static_cast<unsigned char>(x.size() < y.size() ? y[common] : x[common]);
        const bool shorter_first = next == ';' || ';' < next;
        return x.size() < y.size() ? shorter_first : !shorter_first;
    });
    rank_.resize(ids.size());
    for (uint32_t place = 0; place < ids.size(); ++place) rank_[ids[place]] = place;
}

uint64_t MatchKey::hash(const Record& r) const {
    uint64_t h = 0xcbf29ce484222325ull; // FNV-1a over the values' numbers
    for (const size_t i : parameters_) h = (h ^ r.params.id(i)) * 0x100000001b3ull;
    return h;
}

bool MatchKey::same(const Record& a, const Record& b) const {
    return std::all_of(parameters_.begin(), parameters_.end(),
                       [&](size_t i) { return a.params.id(i) == b.params.id(i); });
}

bool MatchKey::before(const Record& a, const Record& b) const {
    for (const size_t i : parameters_)
        if (const uint32_t x = a.params.id(i), y = b.params.id(i); x != y) return rank_[x] < rank_[y];
    return false;
}

PointNumbers::PointNumbers(const MatchKey& key, std::function<uint64_t(const Record&)> hash)
    : key_(key), hash_(std::move(hash)) {}

uint32_t PointNumbers::operator()(const Record& r) {
    const auto [found, added] = first_.try_emplace(hash_ ? hash_(r) : key_.hash(r), &r, next_);
    if (added) return next_++;
    if (key_.same(*found->second.first, r)) return found->second.second;
    for (const auto& [held, number] : met_)
        if (key_.same(*held, r)) return number;
    met_.emplace_back(&r, next_);
    return next_++;
}

std::vector<RecordGroup> group_records(const Dataset& data, const std::string& compare) {
    std::vector<RecordGroup> groups;
    size_t last = 0; // neighbouring records mostly share a group
    for (const Record& r : data.records) {
        const std::string_view group = group_of(r, compare);
        const auto same = [&](const RecordGroup& g) { return g.metric == r.metric && g.model == group; };
        if (last >= groups.size() || !same(groups[last])) {
            last = static_cast<size_t>(std::find_if(groups.begin(), groups.end(), same) - groups.begin());
            if (last == groups.size()) groups.push_back({std::string(group), std::string(r.metric), {}});
        }
        groups[last].records.push_back(&r);
    }
    std::sort(groups.begin(), groups.end(), [](const RecordGroup& a, const RecordGroup& b) {
        if (a.metric != b.metric) return metric_before(a.metric, b.metric); // pp, tg, pg; then by model
        return group_before(a.model, b.model);
    });
    return groups;
}

std::vector<GroupSummary> summarize(const Dataset& data, const std::string& compare) {
    std::vector<GroupSummary> summaries;
    const std::vector<std::string> values = values_of(data, compare);
    const size_t compared = parameter_index(compare), prompt = parameter_index(param::n_prompt),
                 gen = parameter_index(param::n_gen);
    for (const RecordGroup& group : group_records(data, compare)) {
        for (const std::string& value : values) {
            GroupSummary g{group.model, group.metric, value};
            std::vector<double> ts, cv, n_prompt, n_gen;
            for (const Record* r : group.records) {
                if (*r->params.at(compared) != value) continue;
                if (r->status != "ok") {
                    ++g.not_ok;
                    continue;
                }
                ts.push_back(r->avg_ts);
                cv.push_back(r->cv_percent());
                g.repeated |= r->repetitions > 1;
                n_prompt.push_back(as_number(*r->params.at(prompt)));
                n_gen.push_back(as_number(*r->params.at(gen)));
            }
            g.n = ts.size();
            if (g.n == 0 && g.not_ok == 0) continue;
            if (g.n > 0) {
                const auto m = stats::mean_sd(ts);
                g.mean = m.mean;
                g.sd = m.sd;
                std::vector<double> sorted = ts;
                std::sort(sorted.begin(), sorted.end());
                g.min = sorted.front();
                g.max = sorted.back();
                g.median = stats::quantile_sorted(sorted, 0.5);
                g.mean_cv = stats::mean_sd(cv).mean;
                g.max_cv = *std::max_element(cv.begin(), cv.end());
                g.n_prompt = {*std::min_element(n_prompt.begin(), n_prompt.end()),
                              *std::max_element(n_prompt.begin(), n_prompt.end())};
                g.n_gen = {*std::min_element(n_gen.begin(), n_gen.end()),
                           *std::max_element(n_gen.begin(), n_gen.end())};
            }
            summaries.push_back(std::move(g));
        }
    }
    return summaries;
}

std::vector<LatencySummary> summarize_latency(const Dataset& data, const std::string& compare) {
    std::vector<LatencySummary> summaries;
    const std::vector<std::string> values = values_of(data, compare);
    std::vector<std::string> models;
    for (const Record& r : data.records)
        if (std::find(models.begin(), models.end(), group_of(r, compare)) == models.end())
            models.emplace_back(group_of(r, compare));
    for (const auto& model : models)
        for (const auto& value : values) {
            std::vector<double> ttft, p50, p90, p99;
            for (const Record& r : data.records) {
                // Server mode's latencies are the serving section's, per request.
                const Latencies* l = data.latencies_of(r);
                if (group_of(r, compare) != model || r.status != "ok" || !l || !l->ttft_ms ||
                    r.params.at(compare) != value || r.metric == "serve")
                    continue;
                ttft.push_back(*l->ttft_ms);
                p50.push_back(l->itl_p50_ms.value_or(0));
                p90.push_back(l->itl_p90_ms.value_or(0));
                p99.push_back(l->itl_p99_ms.value_or(0));
            }
            if (ttft.empty()) continue;
            summaries.push_back({model, value, ttft.size(), stats::mean_sd(ttft).mean, stats::mean_sd(p50).mean,
                                 stats::mean_sd(p90).mean, stats::mean_sd(p99).mean});
        }
    return summaries;
}

std::vector<double> look_levels(const Looks& looks, double power) {
    // Calibrating a design takes a fifth of a second; a sweep asks for the same one after every round.
    static std::mutex mutex;
    static std::map<std::tuple<int64_t, int64_t, double>, std::vector<double>> designs;
    const std::lock_guard lock(mutex);
    const auto key = std::make_tuple(looks.first, looks.last, power);
    if (const auto it = designs.find(key); it != designs.end()) return it->second;
    const int64_t first = std::max<int64_t>(2, looks.first);
    std::vector<double> spent;
    for (int64_t n = first; n <= looks.last; ++n)
        spent.push_back(alpha * std::pow(static_cast<double>(n) / static_cast<double>(looks.last), power));
    return designs[key] = stats::sequential_t_levels(first, looks.last, spent);
}

double level_at(const Looks& looks, const std::vector<double>& levels, size_t blocks) {
    if (levels.empty()) return alpha;
    const int64_t first = std::max<int64_t>(2, looks.first);
    const int64_t n = std::clamp<int64_t>(static_cast<int64_t>(blocks), first, looks.last);
    return levels[static_cast<size_t>(n - first)];
}

double conditional_power(const stats::BlockedEstimate& e, int64_t last_look, double level, double margin_pct) {
    const auto n = static_cast<double>(e.replicates), last = static_cast<double>(last_look);
    if (e.unit != stats::Unit::blocks || n < 2 || n >= last || !(e.log_se > 0)) return 1.0;
    // The mean at the last look: the blocks so far, then last - n more at the estimated effect; its spread
    // comes from the blocks still to come.
    const double sd = e.log_se * std::sqrt(n), rest = sd * std::sqrt(last - n) / last;
    const double difference = stats::student_t_critical(1 - level, last - 1) * sd / std::sqrt(last);
    const double equivalence =
        std::log1p(margin_pct / 100.0) - stats::student_t_critical(1 - 2 * level, last - 1) * sd / std::sqrt(last);
    const boost::math::normal normal;
    const auto below = [&](double x) { return boost::math::cdf(normal, (x - e.log_mean) / rest); };
    double chance = below(-difference) + (1 - below(difference));
    if (equivalence > 0) chance += below(equivalence) - below(-equivalence);
    return chance;
}

Verdict verdict_of(const stats::BlockedEstimate& e, double p, double margin_pct, double level) {
    if (e.unit == stats::Unit::none) return Verdict::too_few;
    const stats::Interval equivalence = e.interval(1 - 2 * level), interval = e.interval(1 - level);
    if (equivalence.low > -margin_pct && equivalence.high < margin_pct) return Verdict::equivalent;
    if (p < level && interval.low > 0) return Verdict::faster;
    if (p < level && interval.high < 0) return Verdict::slower;
    return Verdict::inconclusive;
}

std::vector<PairedComparison> compare_paired(const Dataset& data, const std::string& compare,
                                             const std::optional<std::string>& baseline_value, double margin_pct,
                                             const std::optional<Looks>& looks) {
    const std::vector<std::string> values = values_of(data, compare);
    if (values.size() < 2) throw UsageError(fmt::format("{} has fewer than two values to compare", compare));
    const std::string baseline = baseline_value.value_or(values.front());
    if (std::find(values.begin(), values.end(), baseline) == values.end())
        throw UsageError(fmt::format("--baseline {} is not a value of {}; its values are {}", baseline, compare,
                                     fmt::join(values, ", ")));
    const size_t compared = parameter_index(compare);
    const MatchKey key_of(compare, data);
    // Each group's comparisons on a core of its own (a million results: 1.5 s on one), in the groups' order.
    const std::vector<RecordGroup> groups = group_records(data, compare);
    std::vector<std::vector<PairedComparison>> of_group(groups.size());
    for_each_index(groups.size(), [&](size_t g) {
        const RecordGroup& group = groups[g];
        std::vector<PairedComparison>& comparisons = of_group[g];
        const std::string &model = group.model, &metric = group.metric;
        // Per value (its number in the dataset's value table): its ok records by point (match key), in one array
        // sorted by the key's hash, a point being a run of the same key (the records of the runs that measured
        // it; two keys of one hash are told apart); a million points need no array of their own each.
        struct Entry {
            uint64_t key;
            const Record* record;
        };
        struct Point {
            std::span<const Entry> records;
            uint64_t key() const { return records.front().key; }
            const Record& first() const { return *records.front().record; }
            double ts() const { // the mean of its runs'
                double sum = 0;
                for (const Entry& e : records) sum += e.record->avg_ts;
                return sum / static_cast<double>(records.size());
            }
        };
        struct Points {
            std::vector<Entry> entries;
            std::vector<Point> points; // by key
            // The point of the same key as `like`, if any.
            const Point* find(const Point& like, const MatchKey& key_of) const {
                auto it = std::lower_bound(points.begin(), points.end(), like.key(),
                                           [](const Point& p, uint64_t k) { return p.key() < k; });
                for (; it != points.end() && it->key() == like.key(); ++it)
                    if (key_of.same(it->first(), like.first())) return &*it;
                return nullptr;
            }
        };
        std::unordered_map<uint32_t, Points> by_value;
        for (const Record* r : group.records)
            if (r->status == "ok") by_value[r->params.id(compared)].entries.push_back({key_of.hash(*r), r});
        for (auto& [id, side] : by_value) {
            // By hash, then key, then in dataset order: a point's runs in the order they were stored.
            std::sort(side.entries.begin(), side.entries.end(), [&](const Entry& x, const Entry& y) {
                if (x.key != y.key) return x.key < y.key;
                if (!key_of.same(*x.record, *y.record)) return key_of.before(*x.record, *y.record);
                return x.record < y.record;
            });
            for (size_t i = 0, j = 0; i < side.entries.size(); i = j) {
                while (j < side.entries.size() && side.entries[j].key == side.entries[i].key &&
                       key_of.same(*side.entries[j].record, *side.entries[i].record))
                    ++j;
                side.points.push_back({std::span<const Entry>(side.entries).subspan(i, j - i)});
            }
        }
        const auto points_of = [&](const std::string& value) -> const Points* {
            const auto id = data.values->find(value);
            const auto found = id ? by_value.find(*id) : by_value.end();
            return found == by_value.end() ? nullptr : &found->second;
        };
        const Points* const base_points = points_of(baseline);
        if (!base_points) return;
        // The baseline's points in the order of their keys: the order of every comparison's pairs.
        std::vector<const Point*> ordered;
        ordered.reserve(base_points->points.size());
        for (const Point& point : base_points->points) ordered.push_back(&point);
        std::sort(ordered.begin(), ordered.end(),
                  [&](const Point* x, const Point* y) { return key_of.before(x->first(), y->first()); });
        // A point's mean log t/s per block of one run: the repetition index (the round, in rounds order). Built
        // for one pair at a time, so that a million points need no per-point maps.
        using Block = std::pair<int64_t, int64_t>; // run, repetition
        const auto log_ts_by_block = [&](const Point& point, const std::set<int64_t>& runs) {
            std::vector<std::pair<Block, std::pair<double, int>>> blocks; // block -> (sum of log t/s, count)
            const auto add = [&](Block block, double ts) {
                auto it = std::find_if(blocks.begin(), blocks.end(), [&](const auto& b) { return b.first == block; });
                if (it == blocks.end()) blocks.push_back({block, {std::log(ts), 1}});
                else it->second.first += std::log(ts), ++it->second.second;
            };
            for (const Entry& e : point.records) {
                const Record* r = e.record;
                if (!runs.count(r->run_id)) continue;
                if (r->samples_count == 0 && r->avg_ts > 0) add({r->run_id, 0}, r->avg_ts); // stored without samples
                for (const Sample& sample : data.samples_of(*r))
                    if (sample.ts > 0) add({r->run_id, sample.repetition}, sample.ts);
            }
            return blocks;
        };
        // A point's level in one run: the mean log t/s of its repetitions there.
        const auto run_level = [&](const Record& r) -> std::optional<double> {
            double sum = 0;
            int n = 0;
            for (const Sample& sample : data.samples_of(r))
                if (sample.ts > 0) sum += std::log(sample.ts), ++n;
            if (n > 0) return sum / n;
            if (r.avg_ts > 0) return std::log(r.avg_ts);
            return std::nullopt;
        };
        const auto runs_of = [](const Points& side) {
            std::set<int64_t> runs;
            for (const Entry& e : side.entries) runs.insert(e.record->run_id);
            return runs;
        };
        for (const std::string& value : values) {
            const Points* const value_points = points_of(value);
            if (value == baseline || !value_points) continue;
            PairedComparison c{model, metric, baseline, value};
            const std::set<int64_t> baseline_runs = runs_of(*base_points), value_runs = runs_of(*value_points);
            std::set<int64_t> shared;
            std::set_intersection(baseline_runs.begin(), baseline_runs.end(), value_runs.begin(), value_runs.end(),
                                  std::inserter(shared, shared.end()));
            // Pairs within a run where any run measured both values (its rounds are the blocks); else the runs are
            // the replicates.
            c.design = shared.empty() ? Design::between_runs : Design::within_runs;
            const std::set<int64_t>& used = shared;
            if (c.design == Design::within_runs) {
                c.runs.assign(shared.begin(), shared.end());
                // The runs that measured one value only: the symmetric difference.
                std::set_symmetric_difference(baseline_runs.begin(), baseline_runs.end(), value_runs.begin(),
                                              value_runs.end(), std::back_inserter(c.runs_left_out));
            } else {
                std::set_union(baseline_runs.begin(), baseline_runs.end(), value_runs.begin(), value_runs.end(),
                               std::back_inserter(c.runs));
            }
            std::map<Block, std::vector<std::optional<double>>> blocks;
            // Between runs: each run's level at each point, per side.
            std::map<int64_t, std::map<size_t, double>> levels_value, levels_baseline;
            std::vector<double> diff;
            for (const Point* base_point : ordered) {
                const Point& base = *base_point;
                const Point* const other_point = value_points->find(base, key_of);
                if (!other_point) {
                    ++c.unpaired;
                    continue;
                }
                const size_t point = c.pairs.size();
                const double base_ts = base.ts(), other_ts = other_point->ts();
                c.pairs.push_back({base.key(), base_ts, other_ts});
                diff.push_back(other_ts - base_ts);
                if (c.design == Design::between_runs) {
                    for (const Entry& e : base.records)
                        if (const auto level = run_level(*e.record)) levels_baseline[e.record->run_id][point] = *level;
                    for (const Entry& e : other_point->records)
                        if (const auto level = run_level(*e.record)) levels_value[e.record->run_id][point] = *level;
                    continue;
                }
                const auto base_blocks = log_ts_by_block(base, used);
                for (const auto& [block, other] : log_ts_by_block(*other_point, used)) {
                    const auto b = std::find_if(base_blocks.begin(), base_blocks.end(),
                                                [&](const auto& x) { return x.first == block; });
                    if (b == base_blocks.end()) continue;
                    auto& ratios = blocks[block];
                    ratios.resize(point + 1);
                    ratios[point] = other.first / other.second - b->second.first / b->second.second;
                }
            }
            for (const Point& other : value_points->points)
                if (!base_points->find(other, key_of)) ++c.unpaired;
            c.n_pairs = c.pairs.size();
            if (c.n_pairs > 0) c.mean_diff_ts = stats::mean_sd(diff).mean;
            if (c.design == Design::between_runs) {
                c.effect = between_runs_effect(levels_value, levels_baseline, c.n_pairs);
                for (const auto& [run, level] : levels_baseline) c.blocks.push_back({run, 0});
                for (const auto& [run, level] : levels_value) c.blocks.push_back({run, 0});
            } else {
                std::vector<std::vector<std::optional<double>>> log_ratios;
                for (auto& [block, ratios] : blocks) {
                    log_ratios.push_back(std::move(ratios));
                    c.blocks.push_back({block.first, block.second});
                }
                c.effect = stats::blocked_effect(log_ratios);
            }
            comparisons.push_back(std::move(c));
        }
    });
    std::vector<PairedComparison> comparisons;
    for (auto& group : of_group)
        comparisons.insert(comparisons.end(), std::make_move_iterator(group.begin()),
                           std::make_move_iterator(group.end()));

    // Holm across every comparison of the report, then the verdicts.
    std::vector<double> p;
    for (const auto& c : comparisons) p.push_back(c.effect.all.p_value);
    const std::vector<double> adjusted = stats::holm_adjust(p);
    const double margin_log = std::log1p(margin_pct / 100.0);
    const std::vector<double> levels = looks ? look_levels(*looks) : std::vector<double>();
    for (size_t i = 0; i < comparisons.size(); ++i) {
        auto& c = comparisons[i];
        c.p_holm = adjusted[i];
        c.level = looks ? level_at(*looks, levels, c.effect.all.replicates) : alpha;
        c.interval = c.effect.all.interval(1 - c.level);
        c.equivalence_interval = c.effect.all.interval(1 - 2 * c.level);
        c.verdict = verdict_of(c.effect.all, c.p_holm, margin_pct, c.level);
        if (c.verdict == Verdict::inconclusive) {
            // Either a difference as large as the estimate, or equivalence at the margin, whichever is nearer.
            // At the level Holm's adjustment asks of this comparison (its adjusted p over its own).
            const double distance = std::fabs(c.effect.all.log_mean);
            const double holm_factor = c.effect.all.p_value > 0 ? std::max(1.0, c.p_holm / c.effect.all.p_value) : 1.0;
            c.blocks_needed = stats::replicates_needed(c.effect.all, std::max(distance, margin_log - distance),
                                                       1.0 - c.level / holm_factor);
        }
        if (c.effect.without_flagged)
            c.verdict_without_flagged =
                verdict_of(*c.effect.without_flagged, c.effect.without_flagged->p_value, margin_pct, c.level);
    }
    return comparisons;
}

} // namespace llmsweep::analysis
