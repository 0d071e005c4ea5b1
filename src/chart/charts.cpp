#include "chart/charts.hpp"

#include "chart/labels.hpp"
#include "chart/serving_charts.hpp"
#include "chart/vision_charts.hpp"

#include "report/tables.hpp"
#include "stats/blocked.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <compare>
#include <cstdlib>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

namespace llmsweep::chart {
namespace {

double number(const std::string& text) { return std::strtod(text.c_str(), nullptr); }

// A group's part of a chart's file name: its model, or "models" for every model (the same in every language).
std::string group_stem(const std::string& group) { return group.empty() ? "models" : group; }

// Beyond max_points points a chart shows every k-th, and says so: a scatter of a million points is a blot, and
// its SVG would be hundreds of megabytes.
constexpr size_t max_points = 2000;
// Beyond this many labelled ticks, every k-th point is labelled.
constexpr size_t max_labels = 16;
// Beyond this many cells a heatmap shows colours without numbers.
constexpr size_t max_numbered_cells = 144;

const char* verdict_color(analysis::Verdict v) {
    switch (v) {
    case analysis::Verdict::faster: return "#2ca02c";
    case analysis::Verdict::slower: return "#d62728";
    case analysis::Verdict::equivalent: return "#1f77b4";
    case analysis::Verdict::inconclusive: return "#7f7f7f";
    case analysis::Verdict::too_few: return "#bbbbbb";
    }
    return "#7f7f7f";
}

// The parameters that tell a model's points apart besides the compared one: the test sizes that vary, then
// any other swept setting.
std::vector<std::string> point_axes(const report::ReportModel& m) {
    std::vector<std::string> axes;
    for (const std::string_view size : {param::n_depth, param::n_prompt, param::n_gen})
        if (analysis::values_of(m.data, size).size() > 1) axes.emplace_back(size);
    for (const auto& name : analysis::varying_parameters(m.data))
        if (name != m.compare && std::find(axes.begin(), axes.end(), name) == axes.end() && name != "mode" &&
            !analysis::is_model_parameter(name))
            axes.push_back(name);
    return axes;
}

struct Context {
    const report::ReportModel& m;
    const report::Strings& s;

    // The ok records of each group and metric, and each record's point: a number per distinct match key, built
    // once, so that a figure walks its own records, not a million, and builds no key again.
    std::map<std::pair<std::string, std::string>, std::vector<const analysis::Record*>> ok;
    std::vector<uint32_t> keys;    // by record index
    std::vector<std::string> axes; // what tells a group's points apart (point_axes)
    size_t compared;               // the compared parameter's position in parameter_list
    std::vector<double> numbers;   // each distinct value as a number, by its number in the dataset's table

    Context(const report::ReportModel& model, std::string_view language)
        : m(model), s(report::strings(language)), keys(model.data.records.size()),
          compared(analysis::parameter_index(model.compare)) {
        for (size_t id = 0; id < m.data.values->size(); ++id)
            numbers.push_back(number(m.data.values->at(static_cast<uint32_t>(id))));
        const analysis::MatchKey key_of(m.compare, m.data);
        analysis::PointNumbers point_of(key_of);
        std::vector<const analysis::Record*>* last = nullptr; // neighbouring records mostly share a group
        std::string_view last_group, last_metric;
        for (size_t i = 0; i < m.data.records.size(); ++i) {
            const analysis::Record& r = m.data.records[i];
            if (r.status != "ok") continue;
            const std::string_view group = analysis::group_of(r, m.compare);
            if (!last || group != last_group || r.metric != last_metric) {
                last = &ok[{std::string(group), std::string(r.metric)}];
                last_group = group, last_metric = r.metric;
            }
            last->push_back(&r);
            keys[i] = point_of(r);
        }
        axes = point_axes(m);
    }
    const std::vector<const analysis::Record*>& records(const std::string& group, const std::string& metric) const {
        static const std::vector<const analysis::Record*> none;
        const auto it = ok.find({group, metric});
        return it == ok.end() ? none : it->second;
    }
    uint32_t key(const analysis::Record& r) const { return keys[static_cast<size_t>(&r - m.data.records.data())]; }
    // The record's value of the compared parameter.
    const std::string& value(const analysis::Record& r) const { return *r.params.at(compared); }
    // Its value of the parameter at `index` in parameter_list, as a number.
    double number_at(const analysis::Record& r, size_t index) const { return numbers[r.params.id(index)]; }
};

std::string interval_text(const analysis::PairedComparison& c) {
    return fmt::format("{:+.2f} % [{:+.2f}, {:+.2f}]", c.effect.all.estimate, c.interval.low, c.interval.high);
}

// The headline: per model, every comparison's estimate with its interval, the zero line and the margin band,
// coloured by verdict. Rows top to bottom in the differences table's order.
Figure forest_figure(const Context& x, const std::string& group) {
    const std::string model = report::group_label(group, x.s), stem_name = group_stem(group);
    const auto& m = x.m;
    std::vector<const analysis::PairedComparison*> rows;
    for (const auto& c : m.comparisons)
        if (c.model == group && c.n_pairs > 0) rows.push_back(&c);
    Figure f{.stem = safe_stem(fmt::format("{}_{}_forest", stem_name, m.compare)),
             .title = fmt::format("{} — {}", clipped(model, 32), m.compare),
             .headline = true};
    f.height = 150 + 40 * static_cast<int>(std::max<size_t>(rows.size(), 1));
    f.xlabel = fmt::format(fmt::runtime(x.s.chart_forest_xlabel), m.baseline);
    f.x_band = m.margin_pct;
    f.x_zero_line = true;
    f.y_margin = 0.6;
    // By verdict and its label (one measurement and one run of each are both too few, and say which).
    std::map<std::pair<analysis::Verdict, std::string>, Series> by_verdict;
    std::map<std::pair<analysis::Verdict, std::string>, size_t> counts;
    const analysis::PairedComparison* largest = nullptr;
    for (size_t i = 0; i < rows.size(); ++i) {
        const auto& c = *rows[i];
        const double y = static_cast<double>(rows.size() - 1 - i);
        f.ytics.emplace_back(y, fmt::format("{} {}", c.metric, clipped(c.value, 14)));
        const auto verdict = std::make_pair(c.verdict, report::verdict_label(c, x.s));
        auto& series = by_verdict[verdict];
        series.title = verdict.second;
        series.style = Series::Style::x_intervals;
        series.color = verdict_color(c.verdict);
        series.points.push_back({c.effect.all.estimate, y, {}, std::make_pair(c.interval.low, c.interval.high)});
        ++counts[verdict];
        if (!largest || std::fabs(c.effect.all.estimate) > std::fabs(largest->effect.all.estimate)) largest = &c;
    }
    for (auto& [verdict, series] : by_verdict) f.series.push_back(std::move(series));
    std::vector<std::string> tally;
    for (const auto& [verdict, n] : counts)
        tally.push_back(fmt::format(fmt::runtime(x.s.chart_tally), n, verdict.second));
    const std::string joined = fmt::format("{}", fmt::join(tally, x.s.chart_list_separator));
    if (largest)
        f.caption =
            fmt::format(fmt::runtime(rows.size() == 1 ? x.s.chart_forest_caption_one : x.s.chart_forest_caption),
                        rows.size(), model, m.margin_pct, joined, largest->metric, largest->value,
                        interval_text(*largest), report::verdict_label(*largest, x.s));
    return f;
}

std::string point_label(const analysis::Record& r, const std::vector<std::string>& axes) {
    std::string label;
    for (const auto& axis : axes) {
        const std::string& v = r.params.at(axis);
        if (v.empty() && analysis::is_server_parameter(axis)) continue; // not one of this point's settings
        if (!label.empty()) label += ' ';
        if (axis == param::n_prompt) label += "p" + v;
        else if (axis == param::n_gen) label += "n" + v;
        else if (axis == param::n_depth) label += "d" + v;
        else label += axis + "=" + clipped(v, 12);
    }
    // A tick label, under a 480-pixel chart: a long value from the data would push the plot off the image.
    return clipped(label, 40);
}

// Per model and metric: each point's mean with its repetitions' sd, one colour per value, the points ordered by
// their parameters and labelled with them.
Figure points_figure(const Context& x, const std::string& group, const std::string& metric) {
    const std::string model = report::group_label(group, x.s), stem_name = group_stem(group);
    const auto& m = x.m;
    const std::vector<std::string>& axes = x.axes;
    // The points (match keys) in the order of their parameters' values.
    std::vector<std::vector<std::string>> orders;
    for (const auto& axis : axes) orders.push_back(analysis::values_of(m.data, axis));
    struct Row {
        std::vector<std::ptrdiff_t> rank;
        uint64_t key = 0;
        const analysis::Record* record = nullptr; // labels it
    };
    std::vector<Row> rows;
    std::unordered_map<uint64_t, size_t> row_of;
    for (const analysis::Record* r : x.records(group, metric)) {
        const uint64_t key = x.key(*r);
        if (row_of.count(key)) continue;
        Row row{{}, key, r};
        for (size_t a = 0; a < axes.size(); ++a)
            row.rank.push_back(std::find(orders[a].begin(), orders[a].end(), r->params.at(axes[a])) -
                               orders[a].begin());
        row_of.emplace(key, rows.size());
        rows.push_back(std::move(row));
    }
    std::vector<size_t> order(rows.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return rows[a].rank < rows[b].rank; });
    std::unordered_map<uint64_t, size_t> x_of;
    for (size_t i = 0; i < order.size(); ++i) x_of.emplace(rows[order[i]].key, i);

    const size_t stride = std::max<size_t>(1, (rows.size() + max_points - 1) / max_points);
    const std::string sampled =
        stride <= 1 ? std::string() : fmt::format(fmt::runtime(x.s.chart_sampled), stride, rows.size());
    Figure f{.stem = safe_stem(fmt::format("{}_{}_{}_comparison", stem_name, metric, m.compare)),
             .title = fmt::format("{} {} — {}{}", clipped(model, 28), metric, m.compare, sampled)};
    f.ylabel = "tokens/s";
    f.x_margin = 0.5;
    f.width = std::max(480, std::min(960, 160 + 40 * static_cast<int>(rows.size())));
    const size_t label_every = std::max<size_t>(1, (rows.size() + max_labels - 1) / max_labels);
    for (size_t i = 0; i < order.size(); i += label_every)
        f.xtics.emplace_back(static_cast<double>(i), point_label(*rows[order[i]].record, axes));
    const double width = m.values.size() > 1 ? 0.3 : 0.0;
    for (size_t v = 0; v < m.values.size(); ++v) {
        Series s{.title = m.compare + " = " + m.values[v],
                 .style = Series::Style::error_bars,
                 .color = color_of_value(m, m.values[v])};
        const double shift =
            m.values.size() > 1 ? -width / 2 + width * static_cast<double>(v) / static_cast<double>(m.values.size() - 1)
                                : 0.0;
        for (const analysis::Record* r : x.records(group, metric)) {
            if (x.value(*r) != m.values[v]) continue;
            const size_t at = x_of.at(x.key(*r));
            if (at % stride != 0) continue;
            s.points.push_back({static_cast<double>(at) + shift, r->avg_ts,
                                r->repetitions > 1 ? std::optional<double>(r->stddev_ts) : std::nullopt});
        }
        std::sort(s.points.begin(), s.points.end(), [](const Point& a, const Point& b) { return a.x < b.x; });
        f.series.push_back(std::move(s));
    }
    std::vector<std::string> found;
    for (const auto& c : m.comparisons)
        if (c.model == group && c.metric == metric)
            found.push_back(
                fmt::format("{} {}: {}, {}", m.compare, c.value, interval_text(c), report::verdict_label(c, x.s)));
    const std::string axes_text = axes.empty() ? std::string("-") : fmt::format("{}", fmt::join(axes, ", "));
    f.caption = fmt::format(fmt::runtime(x.s.chart_points_caption), model, metric, axes_text, fmt::join(found, "; "));
    return f;
}

// The matched pairs the comparisons were computed from: the baseline's t/s against each other value's.
Figure pairs_figure(const Context& x, const std::string& group, const std::string& metric) {
    const std::string model = report::group_label(group, x.s), stem_name = group_stem(group);
    const auto& m = x.m;
    Figure f{.stem = safe_stem(fmt::format("{}_{}_{}_pairs", stem_name, metric, m.compare)),
             .title = fmt::format("{} {} — {}", clipped(model, 28), metric, x.s.chart_pairs)};
    f.xlabel = m.compare + " = " + m.baseline + " (tokens/s)";
    f.ylabel = x.s.chart_other_value;
    f.diagonal = std::string(x.s.chart_diagonal);
    size_t pairs = 0;
    for (const auto& c : m.comparisons) {
        if (c.model != group || c.metric != metric) continue;
        const size_t stride = std::max<size_t>(1, (c.pairs.size() + max_points - 1) / max_points);
        Series s{.title = m.compare + " = " + c.value, .color = color_of_value(m, c.value)};
        for (size_t i = 0; i < c.pairs.size(); i += stride)
            s.points.push_back({c.pairs[i].baseline_ts, c.pairs[i].value_ts});
        pairs += c.pairs.size();
        f.series.push_back(std::move(s));
    }
    // Room around the points, and short tic numbers.
    double low = INFINITY, high = -INFINITY;
    for (const auto& s : f.series)
        for (const auto& p : s.points) low = std::min(low, p.x), high = std::max(high, p.x);
    f.x_margin = high > low ? 0.05 * (high - low) : 0.5;
    f.compact_x = true;
    f.caption = fmt::format(fmt::runtime(pairs == 1 ? x.s.chart_pairs_caption_one : x.s.chart_pairs_caption), pairs,
                            model, metric, m.baseline);
    return f;
}

// Per model and metric, for one test size that varies: the mean throughput at each of its values, one line
// per compared value, error bars the repetitions' sd (mean over the points averaged).
Figure trend_figure(const Context& x, const std::string& group, const std::string& metric, const std::string& axis) {
    const std::string model = report::group_label(group, x.s), stem_name = group_stem(group);
    const auto& m = x.m;
    Figure f{.stem = safe_stem(fmt::format("{}_{}_{}_by_{}", stem_name, metric, m.compare, axis)),
             .title = fmt::format("{} {} — {}", clipped(model, 28), metric, axis)};
    f.xlabel = axis;
    f.ylabel = "tokens/s";
    std::set<double> xs;
    std::map<std::string, std::map<double, double>> means; // value -> x -> mean t/s
    const size_t axis_at = analysis::parameter_index(axis);
    for (const auto& value : m.values) {
        std::map<double, std::tuple<double, double, size_t>> at; // x -> (sum t/s, sum sd, count)
        for (const analysis::Record* r : x.records(group, metric))
            if (x.value(*r) == value) {
                auto& [sum, sd, count] = at[x.number_at(*r, axis_at)];
                sum += r->avg_ts;
                sd += r->stddev_ts;
                ++count;
            }
        Series s{.title = m.compare + " = " + value,
                 .style = Series::Style::lines_error_bars,
                 .color = color_of_value(m, value)};
        for (const auto& [xv, acc] : at) {
            const auto& [sum, sd, count] = acc;
            const double n = static_cast<double>(count);
            s.points.push_back({xv, sum / n, sd / n});
            means[value][xv] = sum / n;
            xs.insert(xv);
        }
        f.series.push_back(std::move(s));
    }
    label_x_values(f, xs);
    // What it found: the largest gap between a value and the baseline along the axis.
    std::string found;
    double gap = 0;
    for (const auto& value : m.values) {
        if (value == m.baseline || !means.count(value) || !means.count(m.baseline)) continue;
        for (const auto& [xv, mean] : means[value]) {
            const auto base = means[m.baseline].find(xv);
            if (base == means[m.baseline].end() || base->second <= 0) continue;
            const double pct = 100.0 * (mean / base->second - 1);
            if (std::fabs(pct) <= std::fabs(gap)) continue;
            gap = pct;
            found = fmt::format(fmt::runtime(x.s.chart_largest_gap), m.baseline, axis, xv, value, pct);
        }
    }
    f.caption = fmt::format(fmt::runtime(x.s.chart_lines_caption), model, metric, axis, m.compare, found);
    return f;
}

// Where in the grid a value differs from the baseline: per model, metric, compared value (and depth, where it
// varies), the relative difference over n_prompt x n_gen, on a diverging scale centred on 0. Each cell is the
// blocked estimate of its points (stats/blocked.hpp); a cell whose 95 % interval includes 0 shows its number in
// parentheses.
Figure heatmap_figure(const Context& x, const std::string& group, const std::string& metric, const std::string& value,
                      const std::string& depth, bool depths) {
    const std::string model = report::group_label(group, x.s), stem_name = group_stem(group);
    const auto& m = x.m;
    Figure f{.stem = safe_stem(
                 fmt::format("{}_{}_{}_{}{}_heatmap", stem_name, metric, m.compare, value, depths ? "_d" + depth : "")),
             .title = fmt::format("{} {} — {} {}{}", clipped(model, 24), metric, m.compare, value,
                                  depths ? " d" + depth : ""),
             .optional = true};
    f.xlabel = param::n_prompt;
    f.ylabel = param::n_gen;
    f.key = false;
    f.color_label = fmt::format(fmt::runtime(x.s.chart_heatmap_color), m.baseline);
    // The baseline's and the value's record of each point, by match key. Values by their numbers in the
    // dataset's table: a million records compare 4 bytes each, not text.
    const auto& values = *m.data.values;
    const size_t depth_at = analysis::parameter_index(param::n_depth), compared = analysis::parameter_index(m.compare),
                 prompt_at = analysis::parameter_index(param::n_prompt),
                 gen_at = analysis::parameter_index(param::n_gen);
    const auto depth_id = values.find(depth), base_id = values.find(m.baseline), value_id = values.find(value);
    if (!depth_id || !base_id || !value_id) return f;
    std::unordered_map<uint64_t, std::pair<const analysis::Record*, const analysis::Record*>> pairs;
    for (const analysis::Record* r : x.records(group, metric)) {
        if (r->params.id(depth_at) != *depth_id) continue;
        const uint32_t v = r->params.id(compared);
        if (v == *base_id) pairs[x.key(*r)].first = r;
        else if (v == *value_id) pairs[x.key(*r)].second = r;
    }
    // Per cell (n_prompt, n_gen): per block (run, repetition), per point, log(value / baseline). Gathered flat
    // and sorted by cell and block: a cell of a million-result grid holds thousands of points, and a grid of
    // small cells is a hundred thousand of them.
    // 32 bytes each (a million results' heatmap holds 600,000): the cell by its values' numbers in the dataset's
    // table, the block by its run and repetition.
    struct Ratio {
        uint32_t prompt, gen; // the cell's n_prompt and n_gen
        uint32_t point;       // the point's number in its cell
        int32_t repetition;
        int64_t run;
        double log_ratio;
    };
    const auto cell_of = [&](const Ratio& r) { return std::pair{x.numbers[r.prompt], x.numbers[r.gen]}; };
    size_t at_most = 0;
    for (const auto& [key, pair] : pairs)
        if (pair.first && pair.second) at_most += std::max<size_t>(1, m.data.samples_of(*pair.second).size());
    std::vector<Ratio> ratios;
    ratios.reserve(at_most);
    std::unordered_map<uint64_t, uint32_t> points_of; // per cell, by its (n_prompt, n_gen) value numbers
    for (const auto& [key, pair] : pairs) {
        const auto [base, other] = pair;
        if (!base || !other) continue;
        const uint32_t prompt = base->params.id(prompt_at), gen = base->params.id(gen_at);
        const uint32_t point = points_of[uint64_t{prompt} << 32 | gen]++;
        bool any = false;
        if (base->run_id == other->run_id) {
            // Both records' samples come in repetition order: one walk pairs them.
            const auto base_samples = m.data.samples_of(*base);
            auto b = base_samples.begin();
            for (const auto& sample : m.data.samples_of(*other)) {
                while (b != base_samples.end() && b->repetition < sample.repetition) ++b;
                if (b == base_samples.end() || b->repetition != sample.repetition || b->ts <= 0 || sample.ts <= 0)
                    continue;
                ratios.push_back(
                    {prompt, gen, point, sample.repetition, base->run_id, std::log(sample.ts) - std::log(b->ts)});
                any = true;
            }
        }
        if (!any && base->avg_ts > 0 && other->avg_ts > 0) // without samples: the means, no interval
            ratios.push_back({prompt, gen, point, 0, 0, std::log(other->avg_ts / base->avg_ts)});
    }
    points_of.clear();
    // Sorted in place, in an order that leaves no two apart (a point twice in a block, in a database written by
    // hand, takes the larger) and is total on numbers that are not (a size stored as "nan").
    std::sort(ratios.begin(), ratios.end(), [&](const Ratio& a, const Ratio& b) {
        const auto [a_prompt, a_gen] = cell_of(a);
        const auto [b_prompt, b_gen] = cell_of(b);
        if (const auto order = std::strong_order(a_prompt, b_prompt); order != 0) return order < 0;
        if (const auto order = std::strong_order(a_gen, b_gen); order != 0) return order < 0;
        if (const auto order = std::tie(a.run, a.repetition, a.point) <=> std::tie(b.run, b.repetition, b.point);
            order != 0)
            return order < 0;
        return std::strong_order(a.log_ratio, b.log_ratio) < 0;
    });
    // The cells in order, each with its ratios' range in `ratios`.
    std::vector<std::pair<size_t, size_t>> cells;
    for (size_t i = 0; i < ratios.size(); ++i)
        if (i == 0 || cell_of(ratios[i]) != cell_of(ratios[i - 1])) cells.emplace_back(i, i + 1);
        else cells.back().second = i + 1;
    std::set<double> prompts, gens;
    for (const auto& [begin, end] : cells)
        prompts.insert(cell_of(ratios[begin]).first), gens.insert(cell_of(ratios[begin]).second);
    if (prompts.size() < 2 || gens.size() < 2) return f; // not a grid: nothing drawn
    const std::vector<double> px(prompts.begin(), prompts.end()), gy(gens.begin(), gens.end());
    for (size_t i = 0; i < px.size(); ++i) f.xtics.emplace_back(static_cast<double>(i), fmt::format("{}", px[i]));
    for (size_t j = 0; j < gy.size(); ++j) f.ytics.emplace_back(static_cast<double>(j), fmt::format("{}", gy[j]));
    Series image{.style = Series::Style::image}, labels{.style = Series::Style::labels};
    double largest = 1, low = INFINITY, high = -INFINITY;
    size_t uncertain = 0;
    // Numbers in the cells while they fit (12 x 12); beyond, the colours alone, and fewer tic labels.
    const size_t n = cells.size();
    const bool numbered = n <= max_numbered_cells;
    // A cell's: per block, per point; the first `blocks` of them, their vectors kept from cell to cell.
    std::vector<std::vector<std::optional<double>>> log_ratios;
    for (const auto& [begin, end] : cells) {
        size_t blocks = 0;
        for (size_t i = begin; i < end; ++i) {
            if (i == begin || ratios[i].run != ratios[i - 1].run || ratios[i].repetition != ratios[i - 1].repetition) {
                if (log_ratios.size() == blocks) log_ratios.emplace_back();
                log_ratios[blocks++].clear();
            }
            auto& row = log_ratios[blocks - 1];
            if (row.size() <= ratios[i].point) row.resize(ratios[i].point + 1);
            row[ratios[i].point] = ratios[i].log_ratio;
        }
        const std::pair<double, double> cell = cell_of(ratios[begin]);
        const stats::BlockedEstimate e = stats::blocked_interval(std::span(log_ratios).first(blocks));
        const double xi = static_cast<double>(std::lower_bound(px.begin(), px.end(), cell.first) - px.begin());
        const double yj = static_cast<double>(std::lower_bound(gy.begin(), gy.end(), cell.second) - gy.begin());
        const bool excludes_zero = e.unit != stats::Unit::none && (e.ci95.low > 0 || e.ci95.high < 0);
        uncertain += excludes_zero ? 0 : 1;
        image.points.push_back({xi, yj, {}, {}, e.estimate});
        if (numbered)
            labels.points.push_back(
                {xi,
                 yj,
                 {},
                 {},
                 0,
                 excludes_zero ? fmt::format("{:+.1f}", e.estimate) : fmt::format("({:+.1f})", e.estimate)});
        largest = std::max(largest, std::fabs(e.estimate));
        low = std::min(low, e.estimate), high = std::max(high, e.estimate);
    }
    f.color_range = largest;
    f.series.push_back(std::move(image));
    if (numbered) f.series.push_back(std::move(labels));
    const auto thin = [](std::vector<std::pair<double, std::string>>& tics) {
        const size_t every = std::max<size_t>(1, (tics.size() + max_labels - 1) / max_labels);
        std::vector<std::pair<double, std::string>> kept;
        for (size_t i = 0; i < tics.size(); i += every) kept.push_back(tics[i]);
        tics = std::move(kept);
    };
    thin(f.xtics);
    thin(f.ytics);
    const std::string about_cells = numbered ? fmt::format(fmt::runtime(x.s.chart_cells_numbered), uncertain, n)
                                             : fmt::format(fmt::runtime(x.s.chart_cells_unnumbered), n, uncertain);
    f.caption =
        fmt::format(fmt::runtime(x.s.chart_heatmap_caption), model, metric, m.compare, value, m.baseline,
                    depths ? fmt::format(fmt::runtime(x.s.chart_heatmap_depth), depth) : "", low, high, about_cells);
    return f;
}

// Load time or peak memory per model, value and cache state, in the loads table's order, one colour per value.
Figure loads_figure(const Context& x, bool time) {
    const auto& m = x.m;
    Figure f{.stem = safe_stem(fmt::format("loads_{}_{}", time ? "time" : "memory", m.compare)),
             .title = std::string(time ? x.s.chart_load_time : x.s.chart_peak_memory),
             .optional = true}; // loads not timed (llama-bench's) or not measured (imports)
    f.ylabel = time ? x.s.chart_load_time_axis : x.s.chart_peak_rss_axis;
    f.y_from_zero = true;
    f.x_margin = 0.7;
    std::map<std::string, Series> by_value;
    std::vector<std::string> order;
    std::vector<std::string> found;
    // Memory split into anonymous and file-backed where every load group recorded it (older runs did not).
    const bool split = !time && !m.loads.empty() && std::all_of(m.loads.begin(), m.loads.end(), [](const auto& l) {
        return l.peak_anon_mib_mean && l.peak_file_mib_mean;
    });
    Series file{.title = std::string(x.s.chart_file_backed), .style = Series::Style::boxes, .color = "#9e9e9e"};
    std::set<std::string> caches;
    for (const auto& l : m.loads) caches.insert(l.cache_state);
    // One label per run of bars of the same model (and cache state, where it varies), under its middle.
    const auto label_of = [&](const analysis::LoadSummary& l) {
        return caches.size() > 1 ? fmt::format("{} {}", clipped(l.model, 18), l.cache_state) : clipped(l.model, 22);
    };
    for (size_t i = 0, first = 0; i < m.loads.size(); ++i)
        if (i + 1 == m.loads.size() || label_of(m.loads[i + 1]) != label_of(m.loads[i])) {
            f.xtics.emplace_back(static_cast<double>(first + i) / 2, label_of(m.loads[i]));
            first = i + 1;
        }
    for (size_t i = 0; i < m.loads.size(); ++i) {
        const auto& l = m.loads[i];
        const double xv = static_cast<double>(i);
        const std::string name = l.value.empty() ? std::string(x.s.chart_all) : l.value;
        if (!by_value.count(name)) {
            order.push_back(name);
            by_value[name] = {.title = l.value.empty() ? name : m.compare + " = " + l.value,
                              .style = Series::Style::boxes,
                              .color = l.value.empty() ? palette[0] : color_of_value(m, l.value)};
        }
        if (time && l.load_ms_mean) {
            by_value[name].points.push_back({xv, *l.load_ms_mean});
            found.push_back(fmt::format("{} {} {:.0f} ms", clipped(l.model, 24), name, *l.load_ms_mean));
        }
        if (!time && split) {
            // Anonymous (the value's colour) beside file-backed (grey): what a mapped model moves between them.
            by_value[name].points.push_back({xv - 0.19, *l.peak_anon_mib_mean});
            file.points.push_back({xv + 0.19, *l.peak_file_mib_mean});
            found.push_back(fmt::format(fmt::runtime(x.s.chart_anon_file), clipped(l.model, 24), name,
                                        *l.peak_anon_mib_mean, *l.peak_file_mib_mean));
        } else if (!time && l.rss_peak_mib_mean > 0) {
            by_value[name].points.push_back({xv, l.rss_peak_mib_mean});
            found.push_back(fmt::format("{} {} {:.1f} MiB", clipped(l.model, 24), name, l.rss_peak_mib_mean));
        }
    }
    for (const auto& name : order) {
        if (split) by_value[name].title += x.s.chart_anonymous_suffix;
        f.series.push_back(std::move(by_value[name]));
    }
    if (split) {
        f.series.push_back(std::move(file));
        f.box_width = 0.36;
        f.ylabel = x.s.chart_peak_resident_axis;
    }
    f.width = std::max(480, std::min(960, 200 + 70 * static_cast<int>(m.loads.size())));
    const std::string_view caption = time    ? x.s.chart_load_time_caption
                                     : split ? x.s.chart_memory_split_caption
                                             : x.s.chart_memory_caption;
    f.caption = fmt::format(fmt::runtime(caption), fmt::join(found, "; "));
    return f;
}

// The roofline of one thread count: every pp and tg result by its operations per byte and per second, one colour
// per value, under the memory's roof (bandwidth x intensity) and the matrix multiplication's (flat).
Figure roofline_figure(const Context& x, int64_t threads, const domain::MachineFigures& roofs) {
    const auto& m = x.m;
    Figure f{.stem = safe_stem(fmt::format("roofline_{}_threads", threads)),
             .title = fmt::format(fmt::runtime(x.s.roofline_chart_title), threads),
             .optional = true};
    f.xlabel = std::string(x.s.intensity_axis);
    f.ylabel = std::string(x.s.gflops_axis);
    f.log_xy = true;
    std::map<std::string, Series> by_value;
    double low = 0, high = 0;
    std::vector<std::string> found;
    for (const analysis::RooflinePoint& p : m.roofline.points) {
        if (p.threads != threads || p.cost.intensity() <= 0 || p.gflops <= 0) continue;
        Series& series = by_value[p.value];
        if (series.points.empty()) {
            series.title = m.compare + " = " + p.value;
            series.color = color_of_value(m, p.value);
        }
        series.points.push_back({p.cost.intensity(), p.gflops});
        low = low == 0 ? p.cost.intensity() : std::min(low, p.cost.intensity());
        high = std::max(high, p.cost.intensity());
    }
    // The compute roof of each weight type of the models drawn: the roof their shares in the tables are of.
    std::map<std::string, double> compute;
    for (const analysis::RooflinePoint& p : m.roofline.points)
        if (p.threads == threads && p.roof_gflops > 0) compute.emplace(p.weight_type, p.roof_gflops);
    if (by_value.empty() || roofs.read_gbs <= 0 || compute.empty()) return f;
    double highest = 0;
    for (const auto& [type, gflops] : compute) {
        const double ridge = gflops / roofs.read_gbs; // where the roofs meet, FLOP per byte
        low = std::min(low, ridge / 4), high = std::max(high, ridge * 4);
        highest = std::max(highest, gflops);
    }
    f.series.push_back({.title = fmt::format("{} {:.1f} GB/s", x.s.memory_roof, roofs.read_gbs),
                        .style = Series::Style::lines,
                        .color = "#555555",
                        .points = {{low, roofs.read_gbs * low}, {highest / roofs.read_gbs, highest}}});
    for (const auto& [type, gflops] : compute)
        f.series.push_back({.title = fmt::format("{} ({}) {:.1f} GFLOP/s", x.s.compute_roof, type, gflops),
                            .style = Series::Style::lines,
                            .color = "#999999",
                            .points = {{gflops / roofs.read_gbs, gflops}, {high, gflops}}});
    for (const std::string& value : m.values)
        if (auto it = by_value.find(value); it != by_value.end()) f.series.push_back(std::move(it->second));
    for (const auto& g : m.roofline.groups)
        if (g.threads == threads)
            found.push_back(fmt::format("{} {} {} {:.0f} % {}", clipped(g.model, 24), g.metric, g.value,
                                        100 * (g.metric == "tg" ? g.bandwidth_share : g.compute_share),
                                        g.metric == "tg" ? x.s.chart_of_bandwidth : x.s.chart_of_matmul));
    f.caption = fmt::format("{} {}: {}.", x.s.roofline_chart_caption, x.s.chart_binding_roof, fmt::join(found, "; "));
    return f;
}

} // namespace

ReportCharts report_charts(const report::ReportModel& m, std::string_view language,
                           const std::function<void(const Figure&)>& ready) {
    const Context x(m, language);
    ReportCharts out;
    // Each figure as it is made: kept and handed on if it has something to draw, else named as left out.
    const auto made = [&](Figure&& figure) {
        if (figure.has_points()) {
            out.figures.push_back(std::move(figure));
            if (ready) ready(out.figures.back());
        } else if (!figure.optional) {
            out.left_out.push_back(figure.title);
        }
    };
    if (m.compares())
        for (const auto& model : m.groups) made(forest_figure(x, model));
    for (const auto& model : m.groups)
        for (const auto& metric : m.metrics) {
            made(points_figure(x, model, metric));
            if (m.compares()) made(pairs_figure(x, model, metric));
            if (m.compares()) {
                const auto depths = analysis::values_of(m.data, param::n_depth);
                for (const auto& value : m.values)
                    if (value != m.baseline)
                        for (const auto& depth : depths)
                            made(heatmap_figure(x, model, metric, value, depth, depths.size() > 1));
            }
            for (const std::string_view axis : {param::n_prompt, param::n_gen, param::n_depth}) {
                const size_t at = analysis::parameter_index(axis);
                const auto& records = x.records(model, metric);
                if (std::any_of(records.begin(), records.end(), [&](const analysis::Record* r) {
                        return r->params.id(at) != records.front()->params.id(at);
                    }))
                    made(trend_figure(x, model, metric, std::string(axis)));
            }
        }
    if (!m.loads.empty()) {
        made(loads_figure(x, true));
        made(loads_figure(x, false));
    }
    for (const auto& [threads, roofs] : m.roofline.machines) made(roofline_figure(x, threads, roofs));
    for (auto& figure : serving_figures(m, language)) made(std::move(figure));
    for (auto& figure : vision_figures(m, language)) made(std::move(figure));
    return out;
}

} // namespace llmsweep::chart
