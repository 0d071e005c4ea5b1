#include "report/history.hpp"

#include "report/cells.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"
#include "report/writers.hpp"

#include <fmt/format.h>

namespace llmsweep::report {
using namespace cells;

std::vector<HistoryRow> history_rows(const analysis::HistorySeries& series) {
    std::vector<HistoryRow> rows;
    for (size_t i = 0; i < series.builds.size(); ++i) {
        HistoryRow row{&series, i};
        for (const auto& step : series.steps)
            if (step.after + 1 == i) row.step = &step;
        rows.push_back(row);
    }
    return rows;
}

std::string step_text(const analysis::HistoryStep& step) {
    return step.low_pct ? fmt::format("{:+.1f} % [{:+.1f}, {:+.1f}]", step.pct, *step.low_pct, *step.high_pct)
                        : fmt::format("{:+.1f} %", step.pct);
}

Columns<HistoryRow> history_columns(const Strings& s) {
    using H = HistoryRow;
    const Strings* words = &s;
    const auto optional = [](const std::optional<double>& v) { return optional_number(v); };
    return {
        {"model", "", {}, [](const H& h) { return h.series->model; }},
        {"metric", "", {}, [](const H& h) { return h.series->metric; }},
        {"host", "", {}, [](const H& h) { return h.series->host; }},
        {"index", "#", [](const H& h) { return std::to_string(h.index + 1); }, [](const H& h) { return h.index + 1; }},
        {"build_commit", std::string(s.history_build), [](const H& h) { return h.build().build; },
         [](const H& h) { return h.build().build; }},
        {"build_number", std::string(s.history_number),
         [](const H& h) { return h.build().build_number > 0 ? std::to_string(h.build().build_number) : "-"; },
         [](const H& h) { return h.build().build_number > 0 ? nlohmann::json(h.build().build_number) : nullptr; }},
        {"first_run_at", std::string(s.history_first_run), [](const H& h) { return h.build().first_run_at; },
         [](const H& h) { return h.build().first_run_at; }},
        {"runs", std::string(s.history_runs), [](const H& h) { return std::to_string(h.build().runs.size()); },
         [](const H& h) { return h.build().runs.size(); }},
        {"tps", "t/s", [](const H& h) { return fixed(h.build().tps, 2); }, [](const H& h) { return h.build().tps; }},
        {"low_tps", std::string(s.history_interval),
         [](const H& h) {
             return h.build().low_tps
                        ? fmt::format("{} - {}", fixed(*h.build().low_tps, 2), fixed(*h.build().high_tps, 2))
                        : std::string("-");
         },
         [optional](const H& h) { return optional(h.build().low_tps); }},
        {"high_tps", "", {}, [optional](const H& h) { return optional(h.build().high_tps); }},
        {"step_pct", std::string(s.history_step),
         [words](const H& h) {
             if (!h.step) return std::string();
             return step_text(*h.step) + (h.step->regression ? fmt::format(" ({})", words->history_regression) : "");
         },
         [](const H& h) { return h.step ? nlohmann::json(h.step->pct) : nullptr; }},
        {"step_low_pct", "", {}, [optional](const H& h) { return h.step ? optional(h.step->low_pct) : nullptr; }},
        {"step_high_pct", "", {}, [optional](const H& h) { return h.step ? optional(h.step->high_pct) : nullptr; }},
        {"step_p_value", "", {}, [](const H& h) { return h.step ? nlohmann::json(h.step->p_value) : nullptr; }},
        {"regression", "", {}, [](const H& h) { return h.step && h.step->regression; }},
    };
}

namespace {

// Every series' rows, in order: the one table of history.csv.
std::vector<HistoryRow> all_rows(const analysis::History& history) {
    std::vector<HistoryRow> rows;
    for (const auto& series : history.series) {
        const auto more = history_rows(series);
        rows.insert(rows.end(), more.begin(), more.end());
    }
    return rows;
}

} // namespace

std::string series_title(const analysis::HistorySeries& series, const analysis::History& history,
                         std::string_view language) {
    const Strings& s = strings(language);
    const bool by_number =
        history.order == analysis::HistoryOrder::build_number ||
        (history.order == analysis::HistoryOrder::auto_ &&
         std::all_of(series.builds.begin(), series.builds.end(), [](const auto& b) { return b.build_number > 0; }));
    return fmt::format(fmt::runtime(s.history_series), series.model, series.metric,
                       series.host.empty() ? "" : fmt::format(fmt::runtime(s.history_on_host), series.host),
                       series.points, series.builds.size(), by_number ? s.history_by_number : s.history_by_time);
}

Document history_document(const analysis::History& history, std::string_view language,
                          const std::vector<ChartImage>& charts) {
    const Strings& s = strings(language);
    Document d;
    d.push_back({.kind = Block::Kind::heading, .level = 1, .text = std::string(s.history_title)});
    d.push_back({.kind = Block::Kind::paragraph,
                 .text = fmt::format(fmt::runtime(s.history_intro), history.alpha, history.margin_pct)});
    const Columns<HistoryRow> columns = history_columns(s);
    for (size_t i = 0; i < history.series.size(); ++i) {
        const auto& series = history.series[i];
        d.push_back({.kind = Block::Kind::heading, .level = 2, .text = series_title(series, history, language)});
        d.push_back({.kind = Block::Kind::table, .table = shown_table(columns, history_rows(series))});
        if (series.steps.empty()) {
            d.push_back(
                {.kind = Block::Kind::paragraph, .text = fmt::format(fmt::runtime(s.history_no_step), history.alpha)});
        } else {
            std::vector<ListItem> items;
            for (const auto& step : series.steps)
                items.push_back({fmt::format(fmt::runtime(s.history_step_line), step.from, step.to, step_text(step),
                                             step.builds_before, step.builds_after, step.p_value) +
                                 (step.regression ? fmt::format(": {}", s.history_regression) : "")});
            d.push_back({.kind = Block::Kind::paragraph, .text = std::string(s.history_steps)});
            d.push_back({.kind = Block::Kind::list, .items = std::move(items)});
        }
        if (i < charts.size() && !charts[i].stem.empty())
            d.push_back({.kind = Block::Kind::figure,
                         .text = charts[i].title,
                         .stem = charts[i].stem,
                         .caption = charts[i].caption,
                         .links = {{charts[i].stem + ".svg", "SVG"},
                                   {charts[i].stem + ".dat", std::string(s.chart_data)},
                                   {charts[i].stem + ".gp", std::string(s.chart_script)}}});
    }
    if (!history.left_out.empty()) {
        std::vector<ListItem> items;
        for (const auto& why : history.left_out) items.push_back({why});
        d.push_back({.kind = Block::Kind::paragraph, .text = std::string(s.history_left_out)});
        d.push_back({.kind = Block::Kind::list, .items = std::move(items)});
    }
    return d;
}

std::string history_csv(const analysis::History& history) {
    return to_csv(csv_table(history_columns(strings("en")), all_rows(history)));
}

std::string history_json(const analysis::History& history) {
    nlohmann::json series = nlohmann::json::array();
    const Columns<HistoryRow> columns = history_columns(strings("en"));
    for (const auto& one : history.series) {
        nlohmann::json steps = nlohmann::json::array();
        for (const auto& step : one.steps)
            steps.push_back({{"from", step.from},
                             {"to", step.to},
                             {"pct", step.pct},
                             {"low_pct", step.low_pct ? nlohmann::json(*step.low_pct) : nullptr},
                             {"high_pct", step.high_pct ? nlohmann::json(*step.high_pct) : nullptr},
                             {"p_value", step.p_value},
                             {"builds_before", step.builds_before},
                             {"builds_after", step.builds_after},
                             {"regression", step.regression}});
        series.push_back({{"model", one.model},
                          {"metric", one.metric},
                          {"host", one.host},
                          {"points", one.points},
                          {"builds", json_rows(columns, history_rows(one))},
                          {"steps", steps}});
    }
    const nlohmann::json out = {{"margin_pct", history.margin_pct}, {"series", series}, {"left_out", history.left_out}};
    return out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

} // namespace llmsweep::report
