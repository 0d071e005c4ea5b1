// The simulation study of the report's statistics: thousands of simulated sweeps with a known effect, for the
// analysis the report uses (blocks: the effect per round, then across rounds; stats/blocked.hpp) and for the
// one it replaced (each point's mean over its repetitions, the relative differences of the points, a
// percentile bootstrap interval and a Wilcoxon test over points, no verdict under 6 points).
//
// A simulated sweep compares two values of a load-level parameter (two load groups, e.g. mmap and none) over
// P points and R rounds, in rounds order: every round visits both groups, each visit measures every point
// once. log(t/s) of point p, value v, round r =
//     level_p + effect_p * [v] + visit_{v,r} + drift_r + noise_{v,p,r}
// with effect_p = effect + spread_p (the effect varies across points), visit shifts shared by a visit's
// points, drift shared by a round's visits, and, in a fraction of the sweeps, one visit disturbed by a large
// shift (something else ran on the machine). The figures (coverage of the 95 % intervals, false verdicts at
// no effect, power, equivalence at no effect) are in docs/benchmarks.md.
//
//   llmsweep_stats_coverage [--sweeps N] [--seed S] [--check]
//
// --check (the test suite's reduced run) exits 1 when the blocked analysis's coverage falls below 90 % in a
// scenario, its false verdicts at no effect exceed 7 %, or a one-point sweep gets no verdict; and when the
// analysis of separate runs gives a verdict from one run of each, covers less than 90 % or makes more than 7 %
// false verdicts.

#include "analysis/comparison.hpp"
#include "stats/blocked.hpp"
#include "stats/bootstrap.hpp"
#include "stats/descriptive.hpp"
#include "stats/tests.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace llmsweep::stats;

struct Scenario {
    std::string name;
    int points = 8, rounds = 5;
    double effect_pct = 0;
    double disturbed_fraction = 0; // of the sweeps, with one visit shifted by `disturbance`
};

// Noise of this host's measurements (docs/fidelity.md, run-to-run): per-repetition 2 %, per-visit 3 %,
// drift between rounds 2 %, effects differing across points by 0.5 %, a disturbed visit -25 %.
constexpr double noise_sd = 0.02, visit_sd = 0.03, drift_sd = 0.02, spread_sd = 0.005, disturbance = -0.25;
constexpr double margin_pct = 2.0;

using llmsweep::analysis::Verdict;

struct Outcome {
    bool covered = false;
    Verdict verdict = Verdict::too_few;
};

struct Tally {
    int sweeps = 0, covered = 0, faster = 0, slower = 0, equivalent = 0, too_few = 0;
    void add(const Outcome& o) {
        ++sweeps;
        covered += o.covered;
        faster += o.verdict == Verdict::faster;
        slower += o.verdict == Verdict::slower;
        equivalent += o.verdict == Verdict::equivalent;
        too_few += o.verdict == Verdict::too_few;
    }
    std::string pct(int n) const { return fmt::format("{:.1f} %", 100.0 * n / sweeps); }
};

// A scenario's row per analysis, in the tables' format.
void print_rows(const std::string& scenario, std::initializer_list<std::pair<const char*, const Tally*>> analyses) {
    for (const auto& [name, t] : analyses)
        fmt::print("| {} | {} | {} | {} | {} | {} | {} |\n", scenario, name, t->pct(t->covered), t->pct(t->faster),
                   t->pct(t->slower), t->pct(t->equivalent), t->pct(t->too_few));
}

// Each point's level and effect (the effect varies across points by spread_sd), and the estimand: the effect
// averaged over the points, in percent.
struct PointEffects {
    std::vector<double> level, effect;
    double truth_pct = 0;
};
PointEffects point_effects(int points, double effect_pct, std::mt19937_64& rng,
                           std::normal_distribution<double>& normal) {
    PointEffects e{std::vector<double>(points), std::vector<double>(points)};
    double mean_effect = 0;
    for (int p = 0; p < points; ++p) {
        e.level[p] = std::log(100.0 * std::pow(1.3, p));
        e.effect[p] = std::log1p(effect_pct / 100.0) + spread_sd * normal(rng);
        mean_effect += e.effect[p] / points;
    }
    e.truth_pct = 100.0 * std::expm1(mean_effect);
    return e;
}

// ts[v][p][r]
using Sweep = std::vector<std::vector<std::vector<double>>>;

Sweep simulate(const Scenario& s, std::mt19937_64& rng, double& true_effect_pct) {
    std::normal_distribution<double> normal(0.0, 1.0);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    const auto [level, effect, truth] = point_effects(s.points, s.effect_pct, rng, normal);
    // The estimand: the effect averaged over the swept points.
    true_effect_pct = truth;
    std::vector<double> drift(s.rounds);
    for (int r = 0; r < s.rounds; ++r) drift[r] = drift_sd * normal(rng);
    int disturbed_value = -1, disturbed_round = -1;
    if (uniform(rng) < s.disturbed_fraction) {
        disturbed_value = static_cast<int>(uniform(rng) * 2);
        disturbed_round = static_cast<int>(uniform(rng) * s.rounds);
    }
    Sweep ts(2, std::vector<std::vector<double>>(s.points, std::vector<double>(s.rounds)));
    for (int v = 0; v < 2; ++v)
        for (int r = 0; r < s.rounds; ++r) {
            double visit = visit_sd * normal(rng) + drift[r];
            if (v == disturbed_value && r == disturbed_round) visit += disturbance;
            for (int p = 0; p < s.points; ++p)
                ts[v][p][r] = std::exp(level[p] + (v == 1 ? effect[p] : 0.0) + visit + noise_sd * normal(rng));
        }
    return ts;
}

Outcome blocked_analysis(const Sweep& ts, double true_effect_pct) {
    const size_t points = ts[0].size(), rounds = ts[0][0].size();
    std::vector<std::vector<std::optional<double>>> blocks(rounds, std::vector<std::optional<double>>(points));
    for (size_t r = 0; r < rounds; ++r)
        for (size_t p = 0; p < points; ++p) blocks[r][p] = std::log(ts[1][p][r]) - std::log(ts[0][p][r]);
    const BlockedEstimate e = blocked_effect(blocks).all;
    Outcome o;
    o.covered = e.ci95.low <= true_effect_pct && true_effect_pct <= e.ci95.high;
    o.verdict = llmsweep::analysis::verdict_of(e, e.p_value, margin_pct); // the report's own rule
    return o;
}

Outcome pointwise_analysis(const Sweep& ts, double true_effect_pct, uint64_t seed) {
    std::vector<double> base, value, relative;
    for (size_t p = 0; p < ts[0].size(); ++p) {
        base.push_back(mean_sd(ts[0][p]).mean);
        value.push_back(mean_sd(ts[1][p]).mean);
        relative.push_back(100.0 * (value.back() - base.back()) / base.back());
    }
    const Interval ci = bootstrap_mean_ci(relative, 0.95, 1000, seed);
    Outcome o;
    o.covered = ci.low <= true_effect_pct && true_effect_pct <= ci.high;
    if (relative.size() < 6) return o; // too few pairs
    const double p = wilcoxon_signed_rank(value, base).p_value;
    o.verdict = p < 0.05 && ci.low > 0    ? Verdict::faster
                : p < 0.05 && ci.high < 0 ? Verdict::slower
                                          : Verdict::inconclusive;
    return o;
}

// Adaptive rounds (run --max-repetitions M --decide): a sweep of M rounds looked at after each round from the
// first N, stopping at the first verdict. Designs: fixed rounds (N, M and between); looks at 5 % each (what a naive
// stopping rule would do); and alpha spending with Kim and DeMets' power family, power 1, 2 (the product's) and
// 3 (analysis::look_levels).
struct Design {
    std::string name;
    enum Kind { fixed, naive, spending } kind;
    double power = 0;    // spending: the power of the spending function; fixed: the rounds
    double futility = 0; // spending: stop a comparison whose conditional power is below this chance
};

struct AdaptiveTally {
    int sweeps = 0, covered = 0, faster = 0, slower = 0, equivalent = 0;
    double blocks = 0;
    std::string pct(int n) const { return fmt::format("{:.1f} %", 100.0 * n / sweeps); }
};

// The design's verdict on the sweep, and the blocks it used.
void judge(const Sweep& ts, double truth, const Design& d, int first, int last, const std::vector<double>& levels,
           AdaptiveTally& t) {
    const size_t points = ts[0].size();
    std::vector<std::vector<std::optional<double>>> blocks;
    const llmsweep::analysis::Looks looks{first, last};
    BlockedEstimate e;
    double level = 0.05;
    for (int r = 0; r < last; ++r) {
        std::vector<std::optional<double>> block(points);
        for (size_t p = 0; p < points; ++p) block[p] = std::log(ts[1][p][r]) - std::log(ts[0][p][r]);
        blocks.push_back(std::move(block));
        const int n = r + 1;
        if (d.kind == Design::fixed ? n < d.power : n < first) continue;
        e = blocked_effect(blocks).all;
        level = d.kind == Design::spending ? llmsweep::analysis::level_at(looks, levels, n) : 0.05;
        const Verdict v = llmsweep::analysis::verdict_of(e, e.p_value, margin_pct, level);
        if (d.kind == Design::fixed || v == Verdict::faster || v == Verdict::slower || v == Verdict::equivalent) break;
        if (d.futility > 0 && llmsweep::analysis::conditional_power(e, last, levels.back(), margin_pct) < d.futility)
            break;
    }
    const Verdict v = llmsweep::analysis::verdict_of(e, e.p_value, margin_pct, level);
    const Interval ci = e.interval(1 - level);
    ++t.sweeps;
    t.covered += ci.low <= truth && truth <= ci.high;
    t.faster += v == Verdict::faster;
    t.slower += v == Verdict::slower;
    t.equivalent += v == Verdict::equivalent;
    t.blocks += static_cast<double>(e.replicates);
}

int adaptive_study(int sweeps, uint64_t seed, bool check) {
    constexpr int first = 3, last = 10;
    const std::vector<Design> designs = {
        {"fixed -r 3", Design::fixed, 3},
        {"fixed -r 6", Design::fixed, 6},
        {"fixed -r 8", Design::fixed, 8},
        {"fixed -r 10", Design::fixed, 10},
        {"looks at 5 % each", Design::naive},
        {"alpha spending, power 1", Design::spending, 1},
        {"alpha spending, power 2", Design::spending, llmsweep::analysis::spending_power},
        {"alpha spending, power 3", Design::spending, 3},
        {"alpha spending, power 2, futility (llmsweep)", Design::spending, llmsweep::analysis::spending_power,
         llmsweep::analysis::futility_chance},
        {"alpha spending, power 2, futility at 5 %", Design::spending, llmsweep::analysis::spending_power, 0.05},
        {"alpha spending, power 2, futility at 10 %", Design::spending, llmsweep::analysis::spending_power, 0.10},
        {"alpha spending, power 1, futility", Design::spending, 1, llmsweep::analysis::futility_chance}};
    const std::vector<Scenario> scenarios = {
        {"8 points, no effect", 8, last, 0.0, 0.0}, {"8 points, +2 %", 8, last, 2.0, 0.0},
        {"8 points, +5 %", 8, last, 5.0, 0.0},      {"1 point, no effect", 1, last, 0.0, 0.0},
        {"1 point, +5 %", 1, last, 5.0, 0.0},       {"1 point, +10 %", 1, last, 10.0, 0.0}};
    fmt::print("\nAdaptive rounds: -r {} --max-repetitions {} --decide, stopping at the first verdict\n\n", first,
               last);
    std::vector<std::vector<double>> levels;
    for (const Design& d : designs)
        levels.push_back(d.kind == Design::spending ? llmsweep::analysis::look_levels({first, last}, d.power)
                                                    : std::vector<double>());
    std::vector<std::string> product_levels;
    for (double level : levels[8]) product_levels.push_back(fmt::format("{:.4f}", level));
    fmt::print("llmsweep's levels at looks {}-{}: {}\n\n", first, last, fmt::join(product_levels, ", "));
    fmt::print("| scenario | design | 95 % coverage | faster | slower | equivalent | mean blocks |\n");
    fmt::print("|---|---|---|---|---|---|---|\n");
    std::mt19937_64 rng(seed + 1);
    int failures = 0;
    for (const Scenario& s : scenarios) {
        std::vector<AdaptiveTally> tallies(designs.size());
        for (int i = 0; i < sweeps; ++i) {
            double truth = 0;
            const Sweep ts = simulate(s, rng, truth);
            for (size_t d = 0; d < designs.size(); ++d)
                judge(ts, truth, designs[d], first, last, levels[d], tallies[d]);
        }
        for (size_t d = 0; d < designs.size(); ++d) {
            const AdaptiveTally& t = tallies[d];
            fmt::print("| {} | {} | {} | {} | {} | {} | {:.2f} |\n", s.name, designs[d].name, t.pct(t.covered),
                       t.pct(t.faster), t.pct(t.slower), t.pct(t.equivalent), t.blocks / t.sweeps);
        }
        const AdaptiveTally& product = tallies[8];
        if (check && s.effect_pct == 0 && product.faster + product.slower > 0.07 * product.sweeps) {
            fmt::print(stderr, "FAILED: adaptive rounds, {}: more than 7 % false verdicts at no effect\n", s.name);
            ++failures;
        }
        if (check && product.covered < 0.90 * product.sweeps) {
            fmt::print(stderr, "FAILED: adaptive rounds, {}: coverage below 90 %\n", s.name);
            ++failures;
        }
    }
    return failures;
}

// Separate runs (two llama.cpp builds each run on its own, or imports of llama-bench files): K runs of each
// value, each a process with R repetitions of every point back to back. log(t/s) of point p, value v, run k,
// repetition r = level_p + effect_p * [v] + run_{v,k} + noise_{v,k,p,r}, where a run's shift (its load, where
// its memory landed, the machine's state that hour) is shared by all of its repetitions. Analyses: the
// repetition index as the block, pooled over the runs of each value (what the report did before: the run's
// shift is then in every block alike and not in the interval), and the run as the replicate (Welch's t on the
// runs' levels; the report's now).
constexpr double run_sd = 0.03;

struct RunsScenario {
    std::string name;
    int runs = 1, points = 4, repetitions = 5;
    double effect_pct = 0;
};

int runs_study(int sweeps, uint64_t seed, bool check) {
    const std::vector<RunsScenario> scenarios = {
        {"1 run of each, no effect", 1, 4, 5, 0.0},  {"2 runs of each, no effect", 2, 4, 5, 0.0},
        {"3 runs of each, no effect", 3, 4, 5, 0.0}, {"5 runs of each, no effect", 5, 4, 5, 0.0},
        {"3 runs of each, +5 %", 3, 4, 5, 5.0},      {"5 runs of each, +5 %", 5, 4, 5, 5.0},
        {"5 runs of each, +10 %", 5, 4, 5, 10.0},    {"10 runs of each, +5 %", 10, 4, 5, 5.0}};
    fmt::print("\nSeparate runs of each value (run-to-run shift {} %, repetition noise {} %): the repetition index "
               "as the block against the run as the replicate\n\n",
               run_sd * 100, noise_sd * 100);
    fmt::print("| scenario | analysis | 95 % coverage | faster | slower | equivalent | no verdict (too few) |\n");
    fmt::print("|---|---|---|---|---|---|---|\n");
    std::mt19937_64 rng(seed + 2);
    std::normal_distribution<double> normal(0.0, 1.0);
    int failures = 0;
    for (const RunsScenario& s : scenarios) {
        Tally by_repetition, by_run;
        for (int i = 0; i < sweeps; ++i) {
            const auto [level, effect, truth] = point_effects(s.points, s.effect_pct, rng, normal);
            // log_ts[v][k][p][r]
            std::vector<std::vector<std::vector<std::vector<double>>>> log_ts(
                2, std::vector<std::vector<std::vector<double>>>(
                       s.runs, std::vector<std::vector<double>>(s.points, std::vector<double>(s.repetitions))));
            for (int v = 0; v < 2; ++v)
                for (int k = 0; k < s.runs; ++k) {
                    const double shift = run_sd * normal(rng);
                    for (int p = 0; p < s.points; ++p)
                        for (int r = 0; r < s.repetitions; ++r)
                            log_ts[v][k][p][r] = level[p] + (v == 1 ? effect[p] : 0.0) + shift + noise_sd * normal(rng);
                }
            const auto judge = [&](const BlockedEstimate& e, Tally& t) {
                Outcome o;
                o.covered = e.ci95.low <= truth && truth <= e.ci95.high;
                o.verdict = llmsweep::analysis::verdict_of(e, e.p_value, margin_pct);
                t.add(o);
            };
            // Before: block r holds, per point, the mean over each value's runs of repetition r.
            std::vector<std::vector<std::optional<double>>> blocks(s.repetitions,
                                                                   std::vector<std::optional<double>>(s.points));
            for (int r = 0; r < s.repetitions; ++r)
                for (int p = 0; p < s.points; ++p) {
                    double d = 0;
                    for (int k = 0; k < s.runs; ++k) d += (log_ts[1][k][p][r] - log_ts[0][k][p][r]) / s.runs;
                    blocks[r][p] = d;
                }
            judge(blocked_effect(blocks).all, by_repetition);
            // Now: each run's level, the mean over its points and repetitions.
            std::vector<double> runs_of[2];
            for (int v = 0; v < 2; ++v)
                for (int k = 0; k < s.runs; ++k) {
                    double sum = 0;
                    for (int p = 0; p < s.points; ++p)
                        for (int r = 0; r < s.repetitions; ++r) sum += log_ts[v][k][p][r] - level[p];
                    runs_of[v].push_back(sum / (s.points * s.repetitions));
                }
            judge(estimate_from_runs(runs_of[1], runs_of[0]), by_run);
        }
        print_rows(s.name, {{"repetition index (before)", &by_repetition}, {"runs (llmsweep)", &by_run}});
        if (!check) continue;
        const auto fail = [&](const std::string& why) {
            fmt::print(stderr, "FAILED: separate runs, {}: {}\n", s.name, why);
            ++failures;
        };
        if (s.runs == 1 && by_run.too_few != by_run.sweeps) fail("a verdict from one run of each");
        if (s.runs >= 2 && by_run.covered < 0.90 * by_run.sweeps) fail("coverage of the 95 % intervals below 90 %");
        if (s.effect_pct == 0 && by_run.faster + by_run.slower > 0.07 * by_run.sweeps)
            fail("more than 7 % false verdicts at no effect");
    }
    return failures;
}

} // namespace

int main(int argc, char** argv) {
    int sweeps = 4000;
    uint64_t seed = 1;
    bool check = false;
    for (int i = 1; i < argc; ++i) {
        const std::string flag = argv[i];
        if (flag == "--check") check = true;
        else if (flag == "--sweeps" && i + 1 < argc) sweeps = std::atoi(argv[++i]);
        else if (flag == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
        else {
            fmt::print(stderr, "usage: {} [--sweeps N] [--seed S] [--check]\n", argv[0]);
            return 2;
        }
    }
    int failures = 0;
    const std::vector<Scenario> scenarios = {
        {"8 points, 5 rounds, no effect", 8, 5, 0.0, 0.0},
        {"8 points, 5 rounds, no effect, 20 % with a disturbed visit", 8, 5, 0.0, 0.2},
        {"8 points, 5 rounds, +2 %", 8, 5, 2.0, 0.0},
        {"8 points, 5 rounds, +5 %", 8, 5, 5.0, 0.0},
        {"8 points, 5 rounds, +5 %, 20 % with a disturbed visit", 8, 5, 5.0, 0.2},
        {"8 points, 10 rounds, +2 %", 8, 10, 2.0, 0.0},
        {"1 point, 5 rounds, no effect", 1, 5, 0.0, 0.0},
        {"1 point, 5 rounds, +5 %", 1, 5, 5.0, 0.0},
        {"1 point, 10 rounds, +5 %", 1, 10, 5.0, 0.0},
    };
    fmt::print("{} simulated sweeps per scenario, seed {}; noise: repetition {} %, visit {} %, drift {} %, "
               "spread across points {} %, disturbed visit {} %; margin +-{} %\n\n",
               sweeps, seed, noise_sd * 100, visit_sd * 100, drift_sd * 100, spread_sd * 100, disturbance * 100,
               margin_pct);
    fmt::print("| scenario | analysis | 95 % coverage | faster | slower | equivalent | no verdict (too few) |\n");
    fmt::print("|---|---|---|---|---|---|---|\n");
    std::mt19937_64 rng(seed);
    for (const Scenario& s : scenarios) {
        Tally blocked, pointwise;
        for (int i = 0; i < sweeps; ++i) {
            double truth = 0;
            const Sweep ts = simulate(s, rng, truth);
            blocked.add(blocked_analysis(ts, truth));
            pointwise.add(pointwise_analysis(ts, truth, seed + static_cast<uint64_t>(i)));
        }
        print_rows(s.name, {{"blocks", &blocked}, {"points (before)", &pointwise}});
        if (!check) continue;
        const auto fail = [&](const std::string& why) {
            fmt::print(stderr, "FAILED: {}: {}\n", s.name, why);
            ++failures;
        };
        if (blocked.covered < 0.90 * blocked.sweeps) fail("coverage of the 95 % intervals below 90 %");
        if (s.effect_pct == 0 && s.disturbed_fraction == 0 && blocked.faster + blocked.slower > 0.07 * blocked.sweeps)
            fail("more than 7 % false verdicts at no effect");
        if (blocked.too_few > 0) fail("sweeps without a verdict");
    }
    failures += adaptive_study(sweeps, seed, check);
    failures += runs_study(sweeps, seed, check);
    return failures == 0 ? 0 : 1;
}
