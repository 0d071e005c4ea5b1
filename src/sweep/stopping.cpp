#include "sweep/stopping.hpp"

#include "analysis/comparison.hpp"
#include "analysis/dataset.hpp"
#include "stats/descriptive.hpp"
#include "stats/tests.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace llmsweep::sweep {
namespace {

// The run's results as they stood before `round`: only the samples of earlier rounds, and each record's mean
// and spread from them.
analysis::Dataset before_round(store::Store& store, int64_t run_id, int64_t round) {
    analysis::Dataset data = analysis::load_dataset(store, {.run_id = run_id});
    std::vector<analysis::Sample> kept;
    for (analysis::Record& r : data.records) {
        std::vector<double> ts;
        const auto begin = static_cast<uint32_t>(kept.size());
        for (const analysis::Sample& s : data.samples_of(r))
            if (s.repetition < round) {
                kept.push_back(s);
                ts.push_back(s.ts);
            }
        r.samples_begin = begin;
        r.samples_count = static_cast<uint32_t>(ts.size());
        r.repetitions = static_cast<int64_t>(ts.size());
        const stats::MeanSd m = stats::mean_sd(ts);
        r.avg_ts = m.mean;
        r.stddev_ts = m.sd;
    }
    data.samples = std::move(kept);
    return data;
}

// Whether the 95 % interval of the record's mean is wider than +-target_pct of it.
bool imprecise(const analysis::Record& r, double target_pct) {
    if (r.repetitions < 2 || r.avg_ts <= 0) return true;
    const double n = static_cast<double>(r.repetitions);
    const double half_width = stats::student_t_critical(0.95, n - 1) * r.stddev_ts / std::sqrt(n);
    return 100.0 * half_width / r.avg_ts > target_pct;
}

bool decided(analysis::Verdict v) {
    return v == analysis::Verdict::faster || v == analysis::Verdict::slower || v == analysis::Verdict::equivalent;
}

} // namespace

RoundNeeds points_needing_round(store::Store& store, int64_t run_id, const SweepSpec& spec,
                                const std::vector<std::string>& point_keys, int64_t round) {
    const analysis::Dataset data = before_round(store, run_id, round);
    const std::unordered_map<int64_t, std::string> key_of = store.point_keys(run_id);
    std::unordered_map<std::string_view, size_t> index_of;
    for (size_t i = 0; i < point_keys.size(); ++i) index_of.emplace(point_keys[i], i);

    std::set<size_t> needed, out_of_reach;
    const auto mark = [&](std::set<size_t>& set, const analysis::Record& r) {
        const auto key = key_of.find(r.result_id);
        if (key == key_of.end()) return;
        if (const auto point = index_of.find(key->second); point != index_of.end()) set.insert(point->second);
    };
    const auto need = [&](const analysis::Record& r) { mark(needed, r); };
    if (spec.target_ci_pct > 0)
        for (const analysis::Record& r : data.records)
            if (r.status == "ok" && imprecise(r, spec.target_ci_pct)) need(r);

    const analysis::Looks looks{spec.repetitions, spec.max_repetitions};
    const double last_level = analysis::level_at(looks, analysis::look_levels(looks), spec.max_repetitions);
    const double margin = spec.margin_pct.value_or(analysis::default_margin_pct);
    for (const std::string& parameter : spec.decide) {
        // Every value failed but one: nothing is left to decide.
        if (analysis::values_of(data, parameter).size() < 2) continue;
        const analysis::MatchKey key_of(parameter, data);
        for (const analysis::PairedComparison& c :
             analysis::compare_paired(data, parameter, std::nullopt, margin, looks)) {
            if (decided(c.verdict)) continue;
            // Out of reach by the last round: more rounds would most likely leave it inconclusive.
            const bool futile = analysis::conditional_power(c.effect.all, spec.max_repetitions, last_level, margin) <
                                analysis::futility_chance;
            // Both sides of every pair: another round adds a block to the comparison.
            std::unordered_set<uint64_t> pairs;
            for (const analysis::Pair& p : c.pairs) pairs.insert(p.key);
            for (const analysis::Record& r : data.records) {
                if (r.status != "ok" || r.model != c.model || r.metric != c.metric) continue;
                const std::string& value = r.params.at(parameter);
                if ((value == c.baseline || value == c.value) && pairs.count(key_of.hash(r)))
                    mark(futile ? out_of_reach : needed, r);
            }
        }
    }
    RoundNeeds needs{{needed.begin(), needed.end()}, {}};
    for (const size_t point : out_of_reach)
        if (!needed.count(point)) needs.out_of_reach.push_back(point);
    return needs;
}

std::vector<Visit> added_round(const Plan& plan, const std::vector<size_t>& points, int64_t round, uint64_t seed) {
    const std::unordered_set<size_t> wanted(points.begin(), points.end());
    std::seed_seq seeds{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32), static_cast<uint32_t>(round)};
    std::mt19937_64 rng(seeds);
    std::vector<Visit> visits;
    for (size_t g = 0; g < plan.groups.size(); ++g) {
        Visit visit{g, round, {}};
        for (size_t p : plan.groups[g])
            if (wanted.count(p)) visit.tasks.push_back({p, round});
        if (!visit.tasks.empty()) visits.push_back(std::move(visit));
    }
    std::shuffle(visits.begin(), visits.end(), rng);
    for (Visit& visit : visits) std::shuffle(visit.tasks.begin(), visit.tasks.end(), rng);
    return visits;
}

} // namespace llmsweep::sweep
