#include "report/document.hpp"

#include "report/strings.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace llmsweep::report {
namespace {

std::string range_text(const analysis::Range& r) { return fmt::format("{} - {}", r.min, r.max); }

Block heading(int level, std::string text) {
    return {.kind = Block::Kind::heading, .level = level, .text = std::move(text)};
}
Block paragraph(std::string text) { return {.kind = Block::Kind::paragraph, .text = std::move(text)}; }
Block list(std::vector<ListItem> items) { return {.kind = Block::Kind::list, .items = std::move(items)}; }
Block table(Table t) { return {.kind = Block::Kind::table, .table = std::move(t)}; }

// A point as the warnings name it: its model, metric, compared value, every other parameter that varies (the
// test sizes, the clients' load, ...) and its run where there are several, so that no two points read alike.
std::string point_name(const ReportModel& m, const analysis::Record& r) {
    std::string name = fmt::format("{} {} {}={}", r.model, r.metric, m.compare, r.params.at(m.compare));
    for (const std::string& parameter : m.varying)
        if (parameter != m.compare && parameter != "model")
            name += fmt::format(" {}={}", parameter, r.params.at(parameter));
    if (m.runs.size() > 1) name += fmt::format(" run={}", r.run_id); // the same point of several runs
    return name;
}

// For a load setting (load_mode, cache_state, n_gpu_layers, huge_pages): what each value changes in loading
// against the baseline, per model and cache state: load time, and the memory the peak holds.
std::vector<std::string> headline_load_effects(const ReportModel& m, const Strings& s) {
    std::vector<std::string> effects;
    for (const analysis::LoadSummary& base : m.loads) {
        if (base.value.empty() || base.value != m.baseline) continue;
        for (const analysis::LoadSummary& other : m.loads) {
            if (other.model != base.model || other.cache_state != base.cache_state || other.value == base.value)
                continue;
            std::vector<std::string> changes;
            if (base.load_ms_mean && other.load_ms_mean && *base.load_ms_mean > 0)
                changes.push_back(fmt::format(fmt::runtime(s.load_time_change), *base.load_ms_mean, *other.load_ms_mean,
                                              100 * (*other.load_ms_mean / *base.load_ms_mean - 1)));
            if (base.peak_anon_mib_mean && other.peak_anon_mib_mean && base.peak_file_mib_mean &&
                other.peak_file_mib_mean) {
                changes.push_back(
                    fmt::format(fmt::runtime(s.anon_change), *base.peak_anon_mib_mean, *other.peak_anon_mib_mean));
                changes.push_back(
                    fmt::format(fmt::runtime(s.file_change), *base.peak_file_mib_mean, *other.peak_file_mib_mean));
            } else if (base.rss_peak_mib_mean > 0 && other.rss_peak_mib_mean > 0) {
                changes.push_back(
                    fmt::format(fmt::runtime(s.rss_change), base.rss_peak_mib_mean, other.rss_peak_mib_mean));
            }
            if (changes.empty()) continue;
            effects.push_back(fmt::format(fmt::runtime(s.headline_load_effect), group_label(base.model, s), m.compare,
                                          other.value, base.value, fmt::join(changes, ", ")));
        }
    }
    return effects;
}

std::vector<ListItem> warnings(const ReportModel& m, const Strings& s) {
    const auto block_name = [](const analysis::PairedComparison::BlockId& b, const Strings& s) {
        return b.run == 0 ? fmt::format(fmt::runtime(s.flagged_block), b.repetition)
                          : fmt::format(fmt::runtime(s.flagged_round), b.repetition, b.run);
    };
    std::vector<ListItem> items;
    if (!m.high_cv.empty()) {
        ListItem item{fmt::format("{} {}%: {}{}", s.high_cv_intro, m.cv_warning_percent, m.high_cv_count,
                                  m.high_cv_count > m.high_cv.size()
                                      ? fmt::format(" ({} {})", s.worst_listed, m.high_cv.size())
                                      : ""),
                      {}};
        for (const auto* r : m.high_cv)
            item.children.push_back(fmt::format("{}: CV {:.2f}%", point_name(m, *r), r->cv_percent()));
        items.push_back(std::move(item));
    }
    if (m.data.left_out > 0) {
        ListItem item{fmt::format(fmt::runtime(s.left_out_intro), m.data.left_out), {}};
        for (const std::string& sample : m.data.left_out_samples) item.children.push_back(sample);
        items.push_back(std::move(item));
    }
    if (m.stored_slo_ignored)
        items.push_back(
            {fmt::format(fmt::runtime(s.stored_slo_ignored), m.stored_slo_ignored->first, m.stored_slo_ignored->second),
             {}});
    if (!m.hosts_by_value.empty()) {
        ListItem item{std::string(s.hosts_differ_intro), {}};
        for (const auto& [value, hosts] : m.hosts_by_value)
            item.children.push_back(fmt::format("{} = {}: {}", m.compare, value, hosts));
        items.push_back(std::move(item));
    }
    if (!m.not_ok.empty()) {
        ListItem item{fmt::format("{}: {}{}", s.not_ok_intro, m.not_ok_count,
                                  m.not_ok_count > m.not_ok.size()
                                      ? fmt::format(" ({} {})", s.first_listed, m.not_ok.size())
                                      : ""),
                      {}};
        for (const auto* r : m.not_ok) {
            std::string why(r->error); // one line in a list item
            std::replace_if(
                why.begin(), why.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
            item.children.push_back(
                fmt::format("{}: {}{}{}", point_name(m, *r), r->status, why.empty() ? "" : ": ", why));
        }
        items.push_back(std::move(item));
    }
    if (!m.huge_pages_differ.empty()) {
        ListItem item{std::string(s.huge_pages_differ_intro), {}};
        for (const auto& d : m.huge_pages_differ) {
            std::vector<std::string> values;
            for (const auto& [value, used] : d.used) values.push_back(fmt::format("{}={}: {}", m.compare, value, used));
            item.children.push_back(fmt::format("{}: {} ({})", d.model, fmt::join(values, "; "), s.huge_pages_used_as));
        }
        items.push_back(std::move(item));
    }
    ListItem flagged{std::string(s.flagged_intro), {}};
    for (const auto& c : m.comparisons)
        for (size_t k : c.effect.flagged) {
            const auto& block = c.blocks[k];
            // Blocks of one run are its rounds: a busy visit of the same round is the likely cause.
            const bool busy =
                block.run != 0 && std::any_of(m.busy_visits.begin(), m.busy_visits.end(), [&](const auto& v) {
                    return (c.model.empty() || v.model == c.model) && v.run_id == block.run &&
                           v.round == block.repetition;
                });
            flagged.children.push_back(fmt::format("{} {} {} vs {}, {}: {:+.2f} %{}", group_label(c.model, s), c.metric,
                                                   c.value, c.baseline, block_name(block, s), c.effect.block_effects[k],
                                                   busy ? fmt::format("; {}", s.flagged_busy) : ""));
        }
    if (!flagged.children.empty()) items.push_back(std::move(flagged));
    if (!m.busy_visits.empty()) {
        ListItem busy{fmt::format(fmt::runtime(s.busy_intro), analysis::busy_other_cores, analysis::busy_steal_percent),
                      {}};
        for (const auto& v : m.busy_visits) {
            std::string row = fmt::format(fmt::runtime(s.busy_visit), v.model,
                                          v.value.empty() ? "" : fmt::format(" {}={}", m.compare, v.value), v.round,
                                          v.run_id, v.other_cpu_cores, v.steal_percent, v.load_average);
            // Loads of one round that the row cannot tell apart (servers of a setting not compared), with the same
            // figures: one row says it.
            if (std::find(busy.children.begin(), busy.children.end(), row) == busy.children.end())
                busy.children.push_back(std::move(row));
        }
        items.push_back(std::move(busy));
    }
    for (const auto& c : m.comparisons) {
        // (Separate runs too few: the verdict itself says so, and what would decide.)
        if (c.verdict == analysis::Verdict::too_few && c.design == analysis::Design::within_runs)
            items.push_back({fmt::format("{}: {} {} {} vs {} ({})", s.too_few_intro, group_label(c.model, s), c.metric,
                                         c.value, c.baseline, c.n_pairs),
                             {}});
        if (c.unpaired > 0)
            items.push_back({fmt::format("{}: {} {} {} vs {} ({})", s.unpaired_intro, group_label(c.model, s), c.metric,
                                         c.value, c.baseline, c.unpaired),
                             {}});
    }
    return items;
}

// The charts shown in a section of their own (the roofline, server mode, images), not among the others.
bool own_section(const std::string& stem) {
    return stem.rfind("roofline", 0) == 0 || stem.rfind("serving_", 0) == 0 || stem.rfind("vision_", 0) == 0;
}

Block figure(const ChartImage& image, const Strings& s) {
    return {.kind = Block::Kind::figure,
            .text = image.title,
            .stem = image.stem,
            .caption = image.caption,
            .links = {{image.stem + ".svg", "SVG"},
                      {image.stem + ".dat", std::string(s.chart_data)},
                      {image.stem + ".gp", std::string(s.chart_script)}}};
}

// A run with adaptive rounds: its rule, and why its points stopped.
std::vector<std::string> adaptive_description(const store::RunRow& run, const Strings& s) {
    std::vector<std::string> rules;
    if (run.target_ci_pct) rules.push_back(fmt::format(fmt::runtime(s.rule_target_ci), *run.target_ci_pct));
    if (!run.decide.empty())
        rules.push_back(fmt::format(fmt::runtime(s.rule_decide), run.decide, run.margin_pct.value_or(0)));
    std::vector<std::string> lines{
        fmt::format(fmt::runtime(s.adaptive_run), run.repetitions, *run.max_repetitions, fmt::join(rules, s.rule_and))};
    for (const auto& stop : run.stops) {
        const std::string_view text = stop.reason == "rule_met"          ? s.stop_rule_met
                                      : stop.reason == "max_repetitions" ? s.stop_max_repetitions
                                      : stop.reason == "failed"          ? s.stop_failed
                                      : stop.reason == "out_of_reach"    ? s.stop_out_of_reach
                                                                         : std::string_view();
        if (text.empty()) continue;
        lines.push_back(fmt::format(fmt::runtime(text), stop.results,
                                    stop.min_repetitions == stop.max_repetitions
                                        ? fmt::format("{}", stop.min_repetitions)
                                        : fmt::format("{}-{}", stop.min_repetitions, stop.max_repetitions)));
    }
    return lines;
}

} // namespace

Document build_document(const ReportModel& m, std::string_view language, const ChartLinks& charts) {
    const Strings& s = strings(language);
    Document d;
    d.push_back(
        heading(1, m.compares() ? fmt::format("{} {}", m.compare, s.title_suffix) : std::string(s.title_single)));
    d.push_back(list({{fmt::format("{}: {}", s.generated_at, m.generated_at), {}},
                      {fmt::format("{}: {}", s.source, m.source), {}}}));

    d.push_back(heading(2, std::string(s.overview)));
    std::vector<ListItem> overview = {{fmt::format("{}: {}", s.records, m.total_records()), {}},
                                      {fmt::format("{}: {}", s.models, fmt::join(m.models, ", ")), {}},
                                      {fmt::format("{}: {}", s.metrics, fmt::join(m.metrics, ", ")), {}}};
    if (!m.values.empty())
        overview.push_back({fmt::format("{} {}: {}", m.compare, s.values_of, fmt::join(m.values, ", ")), {}});
    overview.push_back({fmt::format("{}: {}", s.n_prompt_range, range_text(m.n_prompt)), {}});
    overview.push_back({fmt::format("{}: {}", s.n_gen_range, range_text(m.n_gen)), {}});
    d.push_back(list(std::move(overview)));
    // What the models are: with --compare model, what differs beside the verdict.
    if (std::any_of(m.model_facts.begin(), m.model_facts.end(), [](const auto& f) { return !f.model_type.empty(); }))
        d.push_back(table(models_table(m, s)));
    // The headline: what a load setting changes most (its load time and memory) first, then every comparison
    // at a glance, before the tables.
    const std::vector<std::string> load_effects = headline_load_effects(m, s);
    if (!load_effects.empty() ||
        std::any_of(charts.images.begin(), charts.images.end(), [](const ChartImage& i) { return i.headline; })) {
        d.push_back(heading(2, std::string(s.headline)));
        for (const std::string& effect : load_effects) d.push_back(paragraph(effect));
        if (!m.comparisons.empty()) d.push_back(paragraph(std::string(s.headline_block)));
        for (const auto& image : charts.images)
            if (image.headline) d.push_back(figure(image, s));
    }
    // Nothing succeeded (a model llama.cpp refused, a sweep stopped before its first result): every section of
    // numbers says so instead of showing empty tables, and the warnings give the reasons.
    const bool any_ok = std::any_of(m.data.records.begin(), m.data.records.end(),
                                    [](const analysis::Record& r) { return r.status == "ok"; });
    if (!any_ok) d.push_back(paragraph(std::string(s.nothing_succeeded)));
    const auto none = [&] { return paragraph(std::string(s.no_result_succeeded)); };

    d.push_back(heading(2, std::string(s.counts)));
    d.push_back(any_ok ? table(counts_table(m, s)) : none());

    d.push_back(heading(2, std::string(s.performance)));
    if (!any_ok) d.push_back(none());
    for (const auto& metric : m.metrics) {
        if (!any_ok) break;
        d.push_back(heading(3, std::string(metric == "pp"      ? s.pp_name
                                           : metric == "tg"    ? s.tg_name
                                           : metric == "pg"    ? s.pg_name
                                           : metric == "serve" ? s.serve_name
                                           : metric == "img"   ? s.img_name
                                           : metric == "ipp"   ? s.ipp_name
                                                               : metric)));
        d.push_back(table(performance_table(m, metric, s)));
    }

    d.push_back(heading(2, std::string(s.differences)));
    if (!any_ok) {
        d.push_back(none());
    } else if (m.compares()) {
        d.push_back(paragraph(fmt::format(fmt::runtime(s.differences_intro), m.margin_pct)));
        d.push_back(table(differences_table(m, s)));
    } else {
        d.push_back(paragraph(std::string(s.nothing_to_compare)));
    }

    // The charts' section, where there is something to show or say (none: --no-charts, or nothing to draw).
    const bool any_chart = std::any_of(charts.images.begin(), charts.images.end(),
                                       [](const auto& image) { return !image.headline && !own_section(image.stem); });
    if (any_chart || !charts.unavailable.empty() || !charts.left_out.empty())
        d.push_back(heading(2, std::string(s.charts)));
    if (!charts.unavailable.empty())
        d.push_back(paragraph(fmt::format("{} {}", s.charts_unavailable, charts.unavailable)));
    if (!charts.left_out.empty()) {
        std::vector<ListItem> items;
        for (const auto& title : charts.left_out) items.push_back({title, {}});
        d.push_back(paragraph(std::string(s.charts_left_out)));
        d.push_back(list(std::move(items)));
    }
    for (const auto& image : charts.images)
        if (!image.headline && !own_section(image.stem)) d.push_back(figure(image, s));

    d.push_back(heading(2, std::string(s.beyond)));
    d.push_back(paragraph(std::string(s.loads_intro)));
    d.push_back(m.loads.empty() ? paragraph(std::string(s.no_loads)) : table(loads_table(m, s)));
    if (!m.latencies.empty()) {
        d.push_back(paragraph(std::string(s.latency_intro)));
        d.push_back(table(latency_table(m, s)));
    }

    if (!m.vision.empty()) {
        d.push_back(heading(2, std::string(s.vision)));
        d.push_back(paragraph(std::string(s.vision_intro)));
        d.push_back(table(vision_table(m, s)));
        if (std::any_of(m.vision.begin(), m.vision.end(), [](const auto& v) { return v.first_image_pct.has_value(); }))
            d.push_back(paragraph(std::string(s.vision_first_intro)));
        for (const auto& image : charts.images)
            if (image.stem.rfind("vision_", 0) == 0) d.push_back(figure(image, s));
    }

    if (!m.serving.points.empty()) {
        d.push_back(heading(2, std::string(s.serving)));
        d.push_back(paragraph(std::string(s.serving_intro)));
        d.push_back(paragraph(m.serving.slo.empty() ? std::string(s.serving_no_slo)
                                                    : fmt::format(fmt::runtime(s.serving_slo), m.serving.slo.text())));
        d.push_back(table(serving_table(m, s)));
        d.push_back(paragraph(std::string(s.serving_latency_intro)));
        d.push_back(table(serving_latency_table(m, s)));
        if (!m.serving.capacities.empty()) {
            d.push_back(paragraph(std::string(s.capacity_intro)));
            d.push_back(table(capacity_table(m, s)));
        }
        for (const auto& image : charts.images)
            if (image.stem.rfind("serving_", 0) == 0) d.push_back(figure(image, s));
        if (!m.serving.single_stream.empty()) {
            d.push_back(paragraph(std::string(s.single_stream_intro)));
            d.push_back(table(single_stream_table(m, s)));
        }
    }

    // The roofline is of token generation and prompt processing: a report of server-mode results alone has none.
    if (std::any_of(m.metrics.begin(), m.metrics.end(), [](const std::string& metric) { return metric != "serve"; })) {
        d.push_back(heading(2, std::string(s.roofline)));
        std::vector<ListItem> notes;
        const auto joined = [](const auto& items) { return fmt::format("{}", fmt::join(items, ", ")); };
        if (!m.roofline.models_without_profile.empty())
            notes.push_back(
                {fmt::format(fmt::runtime(s.roofline_no_profile), joined(m.roofline.models_without_profile)), {}});
        if (!m.roofline.without_machine.empty()) {
            std::vector<std::string> where;
            for (const auto& [host, threads] : m.roofline.without_machine)
                where.push_back(fmt::format("{} ({} {})", host, threads, s.threads));
            notes.push_back({fmt::format(fmt::runtime(s.roofline_no_machine), joined(where)), {}});
        }
        if (!m.roofline.fit_in_cache.empty())
            notes.push_back({fmt::format(fmt::runtime(s.roofline_fits_cache), joined(m.roofline.fit_in_cache)), {}});
        if (!m.roofline.offloaded.empty())
            notes.push_back({fmt::format(fmt::runtime(s.roofline_offloaded), joined(m.roofline.offloaded)), {}});
        if (m.roofline.other_build) notes.push_back({std::string(s.roofline_other_build), {}});
        // Nothing measured, or nothing of it that applies: said, not an introduction with nothing under it.
        if (!m.roofline_measured || (m.roofline.machines.empty() && m.roofline.groups.empty() && notes.empty())) {
            d.push_back(paragraph(std::string(s.no_roofline)));
        } else {
            d.push_back(paragraph(std::string(s.roofline_intro)));
            if (!m.roofline.machines.empty()) {
                d.push_back(paragraph(fmt::format("{}:", s.roofline_machines)));
                d.push_back(table(roofline_machine_table(m, s)));
            }
            if (!m.roofline.groups.empty()) d.push_back(table(roofline_table(m, s)));
            for (const auto& image : charts.images)
                if (image.stem.rfind("roofline", 0) == 0) d.push_back(figure(image, s));
            if (!notes.empty()) d.push_back(list(std::move(notes)));
        }
    }

    d.push_back(heading(2, std::string(s.warnings)));
    const auto warning_items = warnings(m, s);
    d.push_back(warning_items.empty() ? paragraph(std::string(s.no_warnings)) : list(warning_items));

    d.push_back(heading(2, std::string(s.methodology)));
    // How the results were measured, for each way the runs measured them.
    {
        const auto any = [&](auto pred) { return std::any_of(m.runs.begin(), m.runs.end(), pred); };
        std::vector<std::string_view> how;
        const auto native = [](const store::RunRow& r) {
            return r.source != "import" && r.engine == "native" && r.mode != "server";
        };
        if (any(native)) how.push_back(s.methodology_intro);
        if (any([&](const store::RunRow& r) { return native(r) && r.mode == "request"; }))
            how.push_back(s.methodology_request);
        if (any([](const store::RunRow& r) { return r.source != "import" && r.engine == "llama-bench"; }))
            how.push_back(s.methodology_llama_bench);
        if (any([](const store::RunRow& r) { return r.source == "import"; })) how.push_back(s.methodology_import);
        if (any([](const store::RunRow& r) { return r.source != "import" && r.mode == "server"; }))
            how.push_back(s.methodology_server);
        if (!how.empty()) d.push_back(paragraph(fmt::format("{}", fmt::join(how, " "))));
    }
    std::vector<ListItem> runs;
    for (const auto& run : m.runs) {
        std::string host = run.cpu_info.empty() ? std::string("-") : run.cpu_info;
        if (run.cpu_cores_logical > 0) host += fmt::format(", {} {}", run.cpu_cores_logical, s.logical_cores);
        if (run.memory_bytes > 0)
            host += fmt::format(", {:.1f} GiB", static_cast<double>(run.memory_bytes) / (1 << 30));
        ListItem item{fmt::format("{} {} ({}): {} {}, {} {}, {} {}, {} {}; {} {} ({}); {}: {}, {}", s.run, run.id,
                                  run.started_at, s.mode, run.mode, s.order, run.order, s.repetitions, run.repetitions,
                                  s.warmup, run.warmup, s.build, run.build_commit, run.backends, s.host, host,
                                  run.os.empty() ? std::string("-") : run.os),
                      {}};
        if (run.max_repetitions) item.children = adaptive_description(run, s);
        runs.push_back(std::move(item));
    }
    d.push_back(list(std::move(runs)));
    if (!m.comparisons.empty()) {
        std::string used = fmt::format(fmt::runtime(s.runs_used), fmt::join(m.runs_used, ", "));
        if (!m.runs_pooled.empty())
            used += " " + fmt::format(fmt::runtime(s.runs_pooled), fmt::join(m.runs_pooled, ", "));
        if (m.between_runs) used += " " + std::string(s.runs_between);
        if (!m.runs_left_out.empty())
            used += " " + fmt::format(fmt::runtime(s.runs_left_out), fmt::join(m.runs_left_out, ", "));
        d.push_back(paragraph(std::move(used)));
    }
    // Every setting the results share, so that a reader can repeat the measurement.
    std::vector<std::string> fixed;
    for (const auto& [name, value] : analysis::fixed_parameters(m.data)) {
        if (name == m.compare || analysis::is_recorded_state(name) ||
            std::find(analysis::run_parameters.begin(), analysis::run_parameters.end(), name) !=
                analysis::run_parameters.end())
            continue;
        if (value.empty()) continue; // a setting of another mode (server mode's, in a native run)
        fixed.push_back(fmt::format("{} {}", name, value));
    }
    if (!fixed.empty()) d.push_back(paragraph(fmt::format("{}: {}.", s.fixed_settings, fmt::join(fixed, ", "))));
    if (!m.respellings.empty()) {
        std::vector<ListItem> items;
        for (const store::Respelling& r : m.respellings)
            items.push_back(
                {fmt::format("{} {} → {}{}", r.column, r.given, r.effective,
                             r.column == param::n_gpu_layers && r.effective == "-1" ? fmt::format(" ({})", s.all_layers)
                                                                                    : ""),
                 {}});
        d.push_back(paragraph(fmt::format("{}:", s.respelled)));
        d.push_back(list(std::move(items)));
    }
    if (m.looks) d.push_back(paragraph(std::string(s.looks_intro)));

    if (charts.data_files) {
        d.push_back(heading(2, std::string(s.data_files)));
        d.push_back({.kind = Block::Kind::links,
                     .links = {{"summary.csv", std::string(s.summary_csv)},
                               {"difference.csv", std::string(s.difference_csv)}}});
        if (!charts.raw_csv.empty())
            d.back().links.insert(d.back().links.begin(), {charts.raw_csv, std::string(s.raw_csv)});
        if (!m.roofline.points.empty()) d.back().links.emplace_back("roofline.csv", "roofline.csv");
        if (!m.serving.points.empty()) d.back().links.emplace_back("serving.csv", "serving.csv");
        if (!m.vision.empty()) d.back().links.emplace_back("vision.csv", "vision.csv");
    }
    d.push_back(paragraph(std::string(s.closing)));
    return d;
}

} // namespace llmsweep::report
