// The simulation study of `llmsweep history`'s change points (docs/statistics.md): histories of builds whose
// levels carry a run-to-run shift (each build one run, as a CI job per commit measures it) and repetition noise,
// with no change, a lasting step of 3, 5 or 10 %, one build 10 % slower that the next fixed, or the newest build
// 10 % slower. Per scenario: the histories with any alarm (false ones where nothing changed), those where a change
// point fell within one build of the true place, and the change points per history.
//
//   llmsweep_changepoint_coverage [--histories N] [--builds N] [--shift PCT] [--seed S] [--check]
//
// --check runs the study and exits 1 unless false alarms stay at or below 7 % and a 10 % step is found in 90 %
// of the histories or more (the test suite's reduced run).

#include "stats/changepoint.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace {

struct Scenario {
    std::string name;
    double step = 0; // the log change
    enum { none, lasting, one_build, newest } kind = none;
};

struct Tally {
    size_t alarmed = 0, found = 0, points = 0;
};

} // namespace

int main(int argc, char** argv) {
    CLI::App app{"Simulation study of llmsweep history's change points"};
    size_t histories = 1000, builds = 30;
    double shift_pct = 3.0, repetition_pct = 2.0;
    uint64_t seed = 12345;
    bool check = false;
    app.add_option("--histories", histories, "Histories per scenario")->capture_default_str();
    app.add_option("--builds", builds, "Builds per history")->capture_default_str()->check(CLI::Range(6, 500));
    app.add_option("--shift", shift_pct, "Run-to-run shift, sd in percent")->capture_default_str();
    app.add_option("--seed", seed, "Random seed")->capture_default_str();
    app.add_flag("--check", check, "Exit 1 unless false alarms <= 7 % and a 10 % step is found in >= 90 %");
    CLI11_PARSE(app, argc, argv);

    // A build's level: its run's shift, and the mean of 4 points x 5 repetitions of repetition noise.
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> shift(0, shift_pct / 100), repetition(0, repetition_pct / 100 / std::sqrt(20.0));
    const size_t middle = builds / 2;
    const std::vector<Scenario> scenarios = {{"no change", 0, Scenario::none},
                                             {"lasting step, -3 %", std::log(0.97), Scenario::lasting},
                                             {"lasting step, -5 %", std::log(0.95), Scenario::lasting},
                                             {"lasting step, -10 %", std::log(0.90), Scenario::lasting},
                                             {"one build -10 %, then fixed", std::log(0.90), Scenario::one_build},
                                             {"the newest build -10 %", std::log(0.90), Scenario::newest}};
    fmt::print("{} histories of {} builds per scenario, run-to-run shift {} %, repetition noise {} %, seed {}\n\n",
               histories, builds, shift_pct, repetition_pct, seed);
    fmt::print("| scenario | histories with an alarm | change point found (within one build) | change points per "
               "history |\n|---|---|---|---|\n");
    bool ok = true;
    for (const Scenario& s : scenarios) {
        Tally t;
        for (size_t h = 0; h < histories; ++h) {
            std::vector<double> levels(builds);
            for (size_t i = 0; i < builds; ++i) {
                levels[i] = shift(rng) + repetition(rng);
                if ((s.kind == Scenario::lasting && i >= middle) || (s.kind == Scenario::one_build && i == middle) ||
                    (s.kind == Scenario::newest && i == builds - 1))
                    levels[i] += s.step;
            }
            const size_t truth = s.kind == Scenario::newest ? builds - 1 : middle;
            const auto found =
                llmsweep::stats::change_points(levels, {.alpha = 0.05, .simulations = 999, .seed = rng()});
            t.alarmed += !found.empty();
            t.points += found.size();
            for (const auto& c : found)
                if (c.at + 1 >= truth && c.at <= truth + 1) {
                    ++t.found;
                    break;
                }
        }
        const auto pct = [&](size_t n) { return 100.0 * static_cast<double>(n) / static_cast<double>(histories); };
        fmt::print("| {} | {:.1f} % | {} | {:.2f} |\n", s.name, pct(t.alarmed),
                   s.kind == Scenario::none ? std::string("-") : fmt::format("{:.1f} %", pct(t.found)),
                   static_cast<double>(t.points) / static_cast<double>(histories));
        if (s.kind == Scenario::none && pct(t.alarmed) > 7) ok = false;
        if (s.kind == Scenario::lasting && s.step < std::log(0.91) && pct(t.found) < 90) ok = false;
    }
    if (check && !ok) {
        fmt::print(stderr, "the change points' false alarms or power are outside the bounds (--check)\n");
        return 1;
    }
    return 0;
}
