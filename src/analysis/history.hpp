#pragma once
// Performance over time: per model, metric and host, each llama.cpp build's throughput in history order, the
// builds where it stepped (stats/changepoint.hpp) and what each step was worth.
//
// The unit of replication is the run: a build's level is the mean over its runs of each run's mean log
// throughput over the series' points (those every run of the series measured), and a step's size and interval
// compare the builds on either side as independent replicates (Welch's interval over their levels), never the
// repetitions of one run, which share its noise.

#include "analysis/comparison.hpp"
#include "analysis/dataset.hpp"
#include "store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace llmsweep::analysis {

// How builds are put in order: llama.cpp's build number (where llama-bench reported one for every build of a
// series; otherwise by time), or the start of each build's first run.
enum class HistoryOrder { auto_, build_number, time };

struct HistoryOptions {
    HistoryOrder order = HistoryOrder::auto_;
    double margin_pct = default_margin_pct; // a step slower than this is a regression
    double alpha = 0.05;                    // of each change point's test (stats/changepoint.hpp)
};

struct HistoryBuild {
    std::string build;        // build_commit
    int64_t build_number = 0; // 0: none reported
    std::string first_run_at; // the start of its first run (UTC, ISO 8601)
    std::vector<int64_t> runs;
    double level = 0; // mean log throughput (see above)
    double tps = 0;   // exp(level): the geometric mean over the points, tokens/s
    // The 95 % interval of tps over its runs (two or more), from the t distribution.
    std::optional<double> low_tps, high_tps;
};

struct HistoryStep {
    size_t after = 0;     // the index of the last build before the step
    std::string from, to; // the builds on either side
    double p_value = 1;   // of the change-point test that found it
    // The builds after it (up to the next step) against those before it (back to the previous one), in percent:
    // the estimate from their levels, and Welch's 95 % interval where each side has two builds or more (one
    // build on a side: the other side's spread for both); none with one build on each side.
    double pct = 0;
    std::optional<double> low_pct, high_pct;
    size_t builds_before = 0, builds_after = 0;
    bool regression = false; // slower by more than the margin
};

struct HistorySeries {
    std::string model, metric, host;
    size_t points = 0; // measured by every run of the series
    std::vector<HistoryBuild> builds;
    std::vector<HistoryStep> steps;
};

struct History {
    std::vector<HistorySeries> series;
    // Series left out, and why (one build; no point that every run measured).
    std::vector<std::string> left_out;
    HistoryOrder order = HistoryOrder::auto_;
    double margin_pct = default_margin_pct;
    double alpha = 0.05; // of the change points' tests
};

// The ok results of `data` with their samples, by model, metric and host.
History build_history(store::Store& store, const Dataset& data, const HistoryOptions& options);

} // namespace llmsweep::analysis
