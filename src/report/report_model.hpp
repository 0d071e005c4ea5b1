#pragma once
// Everything a report says, computed once from the store: every writer (Markdown, HTML, CSV, JSON and the charts)
// formats these objects and nothing else, so counts and names agree across all outputs.

#include "analysis/comparison.hpp"
#include "analysis/dataset.hpp"
#include "analysis/history.hpp"
#include "analysis/roofline.hpp"
#include "analysis/serving.hpp"
#include "analysis/vision.hpp"
#include "store/store.hpp"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace llmsweep::report {

struct ReportOptions {
    std::optional<std::string> compare;
    std::optional<std::string> baseline;
    analysis::Filters filters;
    double cv_warning_percent = 5.0;                  // points whose repetitions vary more than this are listed
    double margin_pct = analysis::default_margin_pct; // differences within +-margin count as none
    std::optional<domain::Slo> slo;                   // server mode's objective; none: the one the runs were given
    // Comparisons within runs may pool the rounds of runs of different designs (other specs, other days); without
    // it such a report is refused, naming the runs and the choices.
    bool pool_runs = false;
};

struct CountRow {
    std::string value, model, metric;
    size_t records = 0;
};

struct ReportModel {
    std::string source;       // the database file
    std::string generated_at; // UTC, ISO 8601
    std::string compare;      // the compared parameter
    std::vector<std::string> values;
    std::string baseline; // the value the others are compared with
    std::vector<std::string> models, metrics;
    std::vector<std::string> varying; // the parameters with several values (analysis::varying_parameters)
    // The groups comparisons are made in (analysis::group_of): the models, or one group of every model ("")
    // when the models are compared.
    std::vector<std::string> groups;
    analysis::Range n_prompt, n_gen;
    analysis::Dataset data;
    std::vector<CountRow> counts;
    std::vector<analysis::GroupSummary> summaries;
    std::vector<analysis::PairedComparison> comparisons;
    std::vector<analysis::LoadSummary> loads;
    std::vector<analysis::LatencySummary> latencies;
    // Ok points with CV above the threshold (the worst, at most `listed_at_most`) and how many there are.
    std::vector<const analysis::Record*> high_cv;
    size_t high_cv_count = 0;
    // Failed, timeout, crashed or unfinished results (the first `listed_at_most`) and how many there are.
    std::vector<const analysis::Record*> not_ok;
    size_t not_ok_count = 0;
    static constexpr size_t listed_at_most = 20;
    std::vector<store::RunRow> runs;
    // The models of the results (file name as the results name it), with what llama.cpp said of them.
    std::vector<store::ModelRow> model_facts;
    // The looks of runs with adaptive rounds that decided comparisons (run --decide): every verdict is judged at
    // its look's level (analysis::Looks). None when no run looked.
    std::optional<analysis::Looks> looks;
    // Settings given in one spelling that came to another (store::effective_columns): the results pair on the
    // latter, and the methodology says so.
    std::vector<store::Respelling> respellings;
    // Each throughput's share of the machine's limit; measured: whether the store holds any roof or model cost
    // at all (none: the runs skipped them).
    analysis::Roofline roofline;
    bool roofline_measured = false;
    // Server mode's points with their requests' figures (empty without server-mode results).
    analysis::Serving serving;
    // A vision-language model's images, per point (empty without img results).
    std::vector<analysis::VisionPoint> vision;
    // The SLO stored with the runs where it is not one (an edited database), and why: ignored, and said.
    std::optional<std::pair<std::string, std::string>> stored_slo_ignored;
    double cv_warning_percent = 5.0;
    double margin_pct = analysis::default_margin_pct;
    // Models whose compared values ran with different huge-page states (huge_pages_used: yes for one value,
    // no for another): their differences include the effect of huge pages. Per model, each value's states.
    struct HugePagesDiffer {
        std::string model;
        std::vector<std::pair<std::string, std::string>> used; // value, huge_pages_used values (", ")
    };
    std::vector<HugePagesDiffer> huge_pages_differ;
    // The hosts each compared value was measured on, where they differ between values (hand-made shards, merged
    // fleets): points pair only within a host (the host is part of what matches them), so such values are
    // compared only where a host measured both; --compare hostname compares the hosts.
    std::vector<std::pair<std::string, std::string>> hosts_by_value; // value, its hosts (", ")
    // Visits that ran beside other work (analysis::under_outside_load).
    std::vector<analysis::BusyVisit> busy_visits;
    // The runs the comparisons used; those whose rounds comparisons within runs pooled (more than one); whether a
    // comparison was between separate runs; the runs left out of comparisons within runs.
    std::vector<int64_t> runs_used, runs_pooled, runs_left_out;
    bool between_runs = false;

    size_t total_records() const { return data.records.size(); }
    // Whether there is anything to compare: one value (nothing but the test sizes varies) makes a report of
    // one group, without differences or pairs.
    bool compares() const { return values.size() > 1; }
};

// Throws UsageError when the store has no results, none match the filters, or the comparison is impossible.
ReportModel build_report(store::Store& store, const std::string& source, const ReportOptions& options);
// The same, into `m`, calling `loaded` once the results are read and before they are analysed: from then on,
// work beside the analysis may read `m.data`, which does not change, for as long as `m` lives.
void build_report(ReportModel& m, store::Store& store, const std::string& source, const ReportOptions& options,
                  const std::function<void()>& loaded);

} // namespace llmsweep::report
