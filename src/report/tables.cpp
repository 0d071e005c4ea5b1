#include "report/tables.hpp"

#include "analysis/dataset.hpp"
#include "core/error.hpp"
#include "report/cells.hpp"

#include <fmt/format.h>

#include <cmath>

namespace llmsweep::report {
using namespace cells;
namespace {

std::string range_cell(const analysis::Range& r) {
    return r.min == r.max ? fmt::format("{}", r.min) : fmt::format("{}-{}", r.min, r.max);
}
std::string p_value(double p) { return p < 0.0001 ? "< 0.0001" : fmt::format("{:.4f}", p); }

} // namespace

std::string_view unit_name(stats::Unit unit) {
    switch (unit) {
    case stats::Unit::blocks: return "blocks";
    case stats::Unit::points: return "points";
    case stats::Unit::runs: return "runs";
    case stats::Unit::none: return "none";
    }
    return "";
}

void Table::add(std::vector<std::string> row) {
    if (row.size() != header_.size())
        throw Error(fmt::format("internal: a report row has {} cells under {} headers", row.size(), header_.size()));
    rows_.push_back(std::move(row));
}

std::string verdict_text(analysis::Verdict verdict, const Strings& s) {
    switch (verdict) {
    case analysis::Verdict::faster: return std::string(s.faster);
    case analysis::Verdict::slower: return std::string(s.slower);
    case analysis::Verdict::equivalent: return std::string(s.equivalent);
    case analysis::Verdict::inconclusive: return std::string(s.inconclusive);
    case analysis::Verdict::too_few: return std::string(s.too_few);
    }
    return {};
}

std::string verdict_label(const analysis::PairedComparison& c, const Strings& s) {
    if (c.verdict == analysis::Verdict::too_few && c.design == analysis::Design::between_runs)
        return std::string(s.too_few_runs);
    return verdict_text(c.verdict, s);
}

std::string group_label(const std::string& group, const Strings& s) {
    return group.empty() ? std::string(s.all_models) : group;
}

std::string verdict_cell(const analysis::PairedComparison& c, const Strings& s) {
    const auto& e = c.effect.all;
    const bool one_run_each = c.design == analysis::Design::between_runs && e.runs_value == 1 && e.runs_baseline == 1;
    std::string text = one_run_each ? std::string(s.one_run_each) : verdict_text(c.verdict, s);
    if (c.blocks_needed)
        text += fmt::format(
            " ({})",
            fmt::format(fmt::runtime(e.unit == stats::Unit::runs ? s.runs_needed : s.blocks_needed), *c.blocks_needed));
    // Mostly measured beside other work: said in the verdict, not only in the warnings.
    if (c.busy_blocks * 2 > e.replicates && e.replicates > 0)
        text += fmt::format("; {}", fmt::format(fmt::runtime(s.busy_blocks), c.busy_blocks, e.replicates));
    if (c.verdict_without_flagged)
        text += fmt::format("; {}",
                            fmt::format(fmt::runtime(s.without_flagged), verdict_text(*c.verdict_without_flagged, s)));
    return text;
}

Table counts_table(const ReportModel& m, const Strings& s) {
    Table t({std::string(s.value), std::string(s.model), std::string(s.metric), std::string(s.count)});
    for (const CountRow& c : m.counts) t.add({c.value, group_label(c.model, s), c.metric, std::to_string(c.records)});
    return t;
}

Table models_table(const ReportModel& m, const Strings& s) {
    Table t({std::string(s.model), std::string(s.model_type), std::string(s.model_size), std::string(s.model_params)});
    for (const auto& f : m.model_facts)
        t.add({f.model_filename, f.model_type.empty() ? "-" : f.model_type,
               f.model_size > 0 ? fixed(static_cast<double>(f.model_size) / 1048576.0, 1) : "-",
               f.model_n_params > 0 ? fixed(static_cast<double>(f.model_n_params) / 1e6, 1) : "-"});
    return t;
}

Columns<analysis::GroupSummary> summary_columns(const ReportModel& m, const Strings& s) {
    using G = analysis::GroupSummary;
    const Strings& en = strings("en");
    // A range of n_prompt or n_gen: "16-512" for people, its two ends in CSV, a pair in JSON.
    const auto range = [&](std::string key, std::string_view heading, analysis::Range G::*member) {
        const auto end = [member](double analysis::Range::*which) {
            return [member, which](const G& g) { return nlohmann::json((g.*member).*which); };
        };
        return Columns<G>{{key, std::string(heading), [member](const G& g) { return range_cell(g.*member); }, {}},
                          {key + "_min", "", {}, end(&analysis::Range::min), "", Only::csv},
                          {key + "_max", "", {}, end(&analysis::Range::max), "", Only::csv},
                          {key,
                           "",
                           {},
                           [member](const G& g) {
                               return nlohmann::json{std::llround((g.*member).min), std::llround((g.*member).max)};
                           },
                           "",
                           Only::json}};
    };
    // A spread: "-" for people where one point or one repetition has none; the figure for programs.
    const auto spread = [](std::string key, std::string_view heading, double G::*member, bool G::*shown_if) {
        return Column<G>{std::move(key), std::string(heading),
                         [member, shown_if](const G& g) { return g.*shown_if ? fixed(g.*member) : "-"; },
                         [member](const G& g) { return g.*member; }};
    };
    return joined(
        joined(Columns<G>{{"model", std::string(s.model), [&s](const G& g) { return group_label(g.model, s); },
                           [&en](const G& g) { return group_label(g.model, en); }, "", Only::csv},
                          {"model", "", {}, [](const G& g) { return g.model; }, "", Only::json},
                          {"metric", "", {}, [](const G& g) { return g.metric; }},
                          {m.compare, m.compare, [](const G& g) { return g.value; }, [](const G& g) { return g.value; },
                           "value"},
                          count_column("points", std::string(s.points), &G::n),
                          figure_column("mean_ts", std::string(s.mean_ts), &G::mean, 2),
                          {"sd_ts", std::string(s.sd_ts), [](const G& g) { return g.n > 1 ? fixed(g.sd) : "-"; },
                           [](const G& g) { return g.sd; }},
                          figure_column("min_ts", std::string(s.min_ts), &G::min, 2),
                          figure_column("max_ts", std::string(s.max_ts), &G::max, 2),
                          figure_column("median_ts", std::string(s.median_ts), &G::median, 2),
                          spread("mean_cv_percent", s.mean_cv, &G::mean_cv, &G::repeated),
                          spread("max_cv_percent", s.max_cv, &G::max_cv, &G::repeated)},
               joined(range(std::string(param::n_prompt), s.n_prompt_range, &G::n_prompt),
                      range(std::string(param::n_gen), s.n_gen_range, &G::n_gen))),
        Columns<G>{count_column("not_ok", std::string(s.not_ok), &G::not_ok)});
}

Table performance_table(const ReportModel& m, const std::string& metric, const Strings& s) {
    std::vector<analysis::GroupSummary> rows;
    std::copy_if(m.summaries.begin(), m.summaries.end(), std::back_inserter(rows),
                 [&](const analysis::GroupSummary& g) { return g.metric == metric; });
    return shown_table(summary_columns(m, s), rows);
}

Columns<analysis::PairedComparison> comparison_columns(const ReportModel& m, const Strings& s) {
    using C = analysis::PairedComparison;
    const Strings& en = strings("en");
    // Whether a comparison has a difference, and an interval (a unit of replication), to show.
    const auto any = [](const C& c) { return c.n_pairs > 0 && c.effect.all.replicates > 0; };
    const auto interval = [](const C& c) { return c.effect.all.unit != stats::Unit::none; };
    // An interval's two ends in CSV, the pair in JSON.
    const auto ends = [&](std::string key, stats::Interval C::*member) {
        return Columns<C>{
            {key + "_low_percent", "", {}, as_json<C>([member](const C& c) { return (c.*member).low; }), "", Only::csv},
            {key + "_high_percent",
             "",
             {},
             as_json<C>([member](const C& c) { return (c.*member).high; }),
             "",
             Only::csv},
            {key + "_percent",
             "",
             {},
             [member](const C& c) {
                 return nlohmann::json{(c.*member).low, (c.*member).high};
             },
             "",
             Only::json}};
    };
    Columns<C> columns = {
        {"model", std::string(s.model), [&s](const C& c) { return group_label(c.model, s); },
         as_json<C>([&en](const C& c) { return group_label(c.model, en); }), "", Only::csv},
        {"model", "", {}, as_json<C>([](const C& c) { return c.model; }), "", Only::json},
        text_column("metric", std::string(s.metric), &C::metric),
        {"parameter", "", {}, [&m](const C&) { return nlohmann::json(m.compare); }},
        text_column("baseline", std::string(s.baseline), &C::baseline),
        text_column("value", std::string(s.value), &C::value),
        count_column("pairs", std::string(s.pairs), &C::n_pairs),
        {"unpaired", "", {}, as_json<C>([](const C& c) { return c.unpaired; })},
        {"mean_diff_ts", "", {}, as_json<C>([](const C& c) { return c.mean_diff_ts; })},
        {"blocks", std::string(s.blocks), [](const C& c) { return std::to_string(c.effect.all.replicates); },
         as_json<C>([](const C& c) { return c.effect.all.replicates; })},
        {"replicates_are", "", {}, as_json<C>([](const C& c) { return std::string(unit_name(c.effect.all.unit)); })},
        {"design",
         "",
         {},
         as_json<C>(
             [](const C& c) { return c.design == analysis::Design::within_runs ? "within runs" : "between runs"; }),
         "",
         Only::json},
        {"runs", "", {}, as_json<C>([](const C& c) { return c.runs; }), "", Only::json},
        {"runs_of_baseline", "", {}, as_json<C>([](const C& c) { return c.effect.all.runs_baseline; }), "", Only::json},
        {"runs_of_value", "", {}, as_json<C>([](const C& c) { return c.effect.all.runs_value; }), "", Only::json},
        {"busy_blocks", "", {}, as_json<C>([](const C& c) { return c.busy_blocks; }), "", Only::json},
        {"difference_percent", std::string(s.diff_pct),
         [any](const C& c) { return any(c) ? fmt::format("{:+.2f}", c.effect.all.estimate) : ""; },
         as_json<C>([](const C& c) { return c.effect.all.estimate; })},
        {"ci95",
         std::string(s.ci95),
         [interval](const C& c) {
             return interval(c) ? fmt::format("[{:+.2f}, {:+.2f}]", c.interval.low, c.interval.high) : "-";
         },
         {}},
        {"across_points",
         std::string(s.across_points),
         [](const C& c) {
             return c.effect.points > 1 ? fmt::format("{:+.1f} .. {:+.1f}", c.effect.point_min, c.effect.point_max)
                                        : "-";
         },
         {}},
    };
    columns = joined(joined(columns, ends("ci95", &C::interval)), ends("ci90", &C::equivalence_interval));
    return joined(
        columns,
        Columns<C>{
            {"p", "", {}, as_json<C>([](const C& c) { return c.effect.all.p_value; })},
            {"p_holm", std::string(s.holm_p), [interval](const C& c) { return interval(c) ? p_value(c.p_holm) : "-"; },
             as_json<C>([](const C& c) { return c.p_holm; })},
            {"level", "", {}, as_json<C>([](const C& c) { return c.level; })},
            {"point_min_percent", "", {}, as_json<C>([](const C& c) { return c.effect.point_min; }), "", Only::csv},
            {"point_median_percent",
             "",
             {},
             as_json<C>([](const C& c) { return c.effect.point_median; }),
             "",
             Only::csv},
            {"point_max_percent", "", {}, as_json<C>([](const C& c) { return c.effect.point_max; }), "", Only::csv},
            {"across_points_percent",
             "",
             {},
             [](const C& c) {
                 return nlohmann::json{{"min", c.effect.point_min},
                                       {"q1", c.effect.point_q1},
                                       {"median", c.effect.point_median},
                                       {"q3", c.effect.point_q3},
                                       {"max", c.effect.point_max}};
             },
             "",
             Only::json},
            {"block_effects_percent",
             "",
             {},
             [](const C& c) {
                 nlohmann::json effects = nlohmann::json::array();
                 for (double e : c.effect.block_effects)
                     effects.push_back(std::isnan(e) ? nlohmann::json(nullptr) : nlohmann::json(e));
                 return effects;
             },
             "",
             Only::json},
            {"flagged_blocks", "", {}, as_json<C>([](const C& c) { return c.effect.flagged.size(); }), "", Only::csv},
            {"flagged_blocks", "", {}, as_json<C>([](const C& c) { return c.effect.flagged; }), "", Only::json},
            {"margin_percent", "", {}, [&m](const C&) { return nlohmann::json(m.margin_pct); }},
            {"verdict", std::string(s.verdict), [&s](const C& c) { return verdict_cell(c, s); },
             as_json<C>([&en](const C& c) { return verdict_label(c, en); })},
            {"verdict_explained",
             "",
             {},
             as_json<C>([&en](const C& c) { return verdict_cell(c, en); }),
             "",
             Only::json},
            {"blocks_needed",
             "",
             {},
             [](const C& c) { return c.blocks_needed ? nlohmann::json(*c.blocks_needed) : nlohmann::json(nullptr); }},
            {"verdict_without_flagged",
             "",
             {},
             [&en](const C& c) {
                 return c.verdict_without_flagged ? nlohmann::json(verdict_text(*c.verdict_without_flagged, en))
                                                  : nlohmann::json(nullptr);
             }},
        });
}

Table differences_table(const ReportModel& m, const Strings& s) {
    return shown_table(comparison_columns(m, s), m.comparisons);
}

Columns<analysis::LoadSummary> loads_columns(const ReportModel& m, const Strings& s) {
    using L = analysis::LoadSummary;
    Columns<L> columns = {
        text_column<L>("model", std::string(s.model), &L::model),
        {m.compare, m.compare, [](const L& l) { return l.value.empty() ? "-" : l.value; },
         [](const L& l) { return l.value; }, "value"},
        text_column<L>(std::string(param::cache_state), std::string(s.cache), &L::cache_state),
        count_column<L>("loads", std::string(s.loads_count), &L::loads),
        optional_column<L>("load_ms_mean", std::string(s.load_ms), &L::load_ms_mean, 2),
        optional_column<L>("load_ms_sd", std::string(s.load_sd), &L::load_ms_sd, 2),
        figure_column<L>("rss_peak_mib_mean", std::string(s.rss_peak), &L::rss_peak_mib_mean, 1),
        optional_column<L>("peak_anon_mib_mean", std::string(s.peak_anon), &L::peak_anon_mib_mean, 1),
        optional_column<L>("peak_file_mib_mean", std::string(s.peak_file), &L::peak_file_mib_mean, 1),
        // One cell for people, two fields for programs.
        {"cached_before_mib_mean", std::string(s.cached_before_after),
         [](const L& l) {
             return l.cached_before_mib_mean && l.cached_after_mib_mean
                        ? fmt::format("{:.1f} / {:.1f}", *l.cached_before_mib_mean, *l.cached_after_mib_mean)
                        : "-";
         },
         [](const L& l) { return optional_number(l.cached_before_mib_mean); }},
        {"cached_after_mib_mean", "", {}, [](const L& l) { return optional_number(l.cached_after_mib_mean); }},
        figure_column<L>("major_faults_mean", std::string(s.major_faults), &L::major_faults_mean, 0),
        figure_column<L>("minor_faults_mean", std::string(s.minor_faults), &L::minor_faults_mean, 0),
        {"evicted", std::string(s.evicted),
         [](const L& l) { return l.cache_state == "cold" ? std::to_string(l.evicted) : "-"; },
         [](const L& l) { return l.evicted; }},
        optional_column<L>("anon_huge_mib_mean", std::string(s.anon_huge), &L::anon_huge_mib_mean, 1),
        optional_column<L>("file_pmd_mib_mean", std::string(s.file_pmd), &L::file_pmd_mib_mean, 1),
        {"thp_modes", std::string(s.thp_mode), [](const L& l) { return l.thp_modes.empty() ? "-" : l.thp_modes; },
         [](const L& l) { return l.thp_modes; }},
        {"model_buffers", std::string(s.model_buffers),
         [](const L& l) { return l.model_buffers.empty() ? "-" : l.model_buffers; },
         [](const L& l) { return l.model_buffers; }},
    };
    // A vision-language model's mmproj load and first image, where a load recorded them.
    if (std::any_of(m.loads.begin(), m.loads.end(), [](const L& l) { return l.first_image_ms_mean.has_value(); }))
        columns.insert(
            columns.end(),
            {optional_column<L>("mmproj_load_ms_mean", std::string(s.mmproj_load_ms), &L::mmproj_load_ms_mean, 1),
             optional_column<L>("mmproj_mib_mean", std::string(s.mmproj_mib), &L::mmproj_mib_mean, 1),
             optional_column<L>("first_image_ms_mean", std::string(s.first_image_ms), &L::first_image_ms_mean, 1)});
    return columns;
}

Columns<analysis::LatencySummary> latency_columns(const ReportModel& m, const Strings& s) {
    using L = analysis::LatencySummary;
    return {
        {"model", std::string(s.model), [&s](const L& l) { return group_label(l.model, s); },
         [](const L& l) { return l.model; }},
        {m.compare, m.compare, [](const L& l) { return l.value; }, [](const L& l) { return l.value; }, "value"},
        count_column<L>("points", std::string(s.points), &L::points),
        figure_column<L>("ttft_ms", std::string(s.ttft), &L::ttft_ms, 2),
        figure_column<L>("itl_p50_ms", std::string(s.itl_p50), &L::itl_p50_ms, 2),
        figure_column<L>("itl_p90_ms", std::string(s.itl_p90), &L::itl_p90_ms, 2),
        figure_column<L>("itl_p99_ms", std::string(s.itl_p99), &L::itl_p99_ms, 2),
    };
}

Table loads_table(const ReportModel& m, const Strings& s) { return shown_table(loads_columns(m, s), m.loads); }
Table latency_table(const ReportModel& m, const Strings& s) { return shown_table(latency_columns(m, s), m.latencies); }

std::string csv_value(const nlohmann::json& value) {
    if (value.is_null()) return "";
    if (value.is_boolean()) return value.get<bool>() ? "1" : "0";
    if (value.is_number_float()) return full(value.get<double>());
    if (value.is_number()) return value.dump();
    return value.is_string() ? value.get<std::string>() : value.dump();
}

Columns<domain::MachineFigures> machine_columns(const Strings& s) {
    using F = domain::MachineFigures;
    const auto bytes = [&](std::string key, uint64_t F::*member) {
        return Column<F>{std::move(key), "", {}, as_json<F>([member](const F& f) { return f.*member; })};
    };
    return {
        {"hostname", "", {}, as_json<F>([](const F& f) { return f.hostname; })},
        {"cpu_info", "", {}, as_json<F>([](const F& f) { return f.cpu_info; })},
        {"build_commit", "", {}, as_json<F>([](const F& f) { return f.build_commit; })},
        count_column<F>("threads", std::string(s.threads), &F::threads),
        {"measured_at", "", {}, as_json<F>([](const F& f) { return f.measured_at; })},
        figure_column<F>("read_gbs", std::string(s.read_gbs), &F::read_gbs, 1),
        figure_column<F>("triad_gbs", std::string(s.triad_gbs), &F::triad_gbs, 1),
        bytes("buffer_bytes", &F::buffer_bytes),
        {"matmul_gflops", std::string(s.matmul_gflops),
         [](const F& f) {
             std::vector<std::string> matmul;
             for (const auto& [type, gflops] : f.matmul_gflops)
                 matmul.push_back(fmt::format("{} {:.1f}", type, gflops));
             return fmt::format("{}", fmt::join(matmul, ", "));
         },
         [](const F& f) {
             nlohmann::json matmul = nlohmann::json::object();
             for (const auto& [type, gflops] : f.matmul_gflops) matmul[type] = gflops;
             return matmul;
         }},
        {"matmul_buffers", "", {}, as_json<F>([](const F& f) { return f.matmul_buffers; })},
        optional_column<F>("peak_gflops", std::string(s.peak_gflops), &F::peak_gflops, 1),
        bytes("l1d_bytes", &F::l1d_bytes),
        bytes("l2_bytes", &F::l2_bytes),
        {"l3_bytes", std::string(s.l3_cache),
         [](const F& f) { return f.l3_bytes > 0 ? fixed(static_cast<double>(f.l3_bytes) / (1 << 20), 1) : "-"; },
         as_json<F>([](const F& f) { return f.l3_bytes; })},
    };
}

std::vector<domain::MachineFigures> machine_rows(const ReportModel& m) {
    std::vector<domain::MachineFigures> rows;
    for (const auto& [threads, figures] : m.roofline.machines) rows.push_back(figures);
    return rows;
}

Table roofline_machine_table(const ReportModel& m, const Strings& s) {
    return shown_table(machine_columns(s), machine_rows(m));
}

Columns<analysis::RooflineGroup> roofline_columns(const ReportModel& m, const Strings& s) {
    using G = analysis::RooflineGroup;
    // The share that bounds the metric is the one shown: bandwidth for tg, compute for pp.
    const auto tg = [](const G& g) { return g.metric == "tg"; };
    return {
        text_column<G>("model", std::string(s.model), &G::model),
        text_column<G>("metric", std::string(s.metric), &G::metric),
        {m.compare, m.compare, [](const G& g) { return g.value; }, [](const G& g) { return g.value; }, "value"},
        count_column<G>("threads", std::string(s.threads), &G::threads),
        count_column<G>("points", std::string(s.points), &G::points),
        figure_column<G>("achieved_gbs", std::string(s.achieved_gbs), &G::gbs, 2),
        {"bandwidth_share", std::string(s.bandwidth_share),
         [tg](const G& g) { return tg(g) ? fixed(100 * g.bandwidth_share, 1) : "-"; },
         [](const G& g) { return g.bandwidth_share; }},
        figure_column<G>("achieved_gflops", std::string(s.achieved_gflops), &G::gflops, 2),
        {"compute_share", std::string(s.compute_share),
         [tg](const G& g) { return tg(g) ? "-" : fixed(100 * g.compute_share, 1); },
         [](const G& g) { return g.compute_share; }},
        {"roof_gbs", "", {}, [](const G& g) { return g.roof_gbs; }},
        {"roof_gflops", "", {}, [](const G& g) { return g.roof_gflops; }},
    };
}

Table roofline_table(const ReportModel& m, const Strings& s) {
    return shown_table(roofline_columns(m, s), m.roofline.groups);
}

Table roofline_csv_table(const ReportModel& m) {
    Table t({"model", "metric", m.compare, std::string(param::n_threads), std::string(param::n_prompt),
             std::string(param::n_gen), std::string(param::n_depth), "avg_ts", "bytes_per_token", "flop_per_token",
             "flop_per_byte", "achieved_gbs", "achieved_gflops", "roof_gbs", "roof_gflops", "bandwidth_share",
             "compute_share"});
    for (const auto& p : m.roofline.points) {
        const analysis::Record& r = *p.record;
        t.add({std::string(r.model), std::string(r.metric), p.value, std::to_string(p.threads),
               r.params.at(param::n_prompt), r.params.at(param::n_gen), r.params.at(param::n_depth), full(r.avg_ts),
               full(p.cost.bytes), full(p.cost.flops), full(p.cost.intensity()), full(p.gbs), full(p.gflops),
               full(p.roof_gbs), full(p.roof_gflops), full(p.bandwidth_share), full(p.compute_share)});
    }
    return t;
}

} // namespace llmsweep::report
