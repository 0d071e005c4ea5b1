#include "analysis/serving.hpp"

#include "domain/knobs.hpp"
#include "domain/parameter_names.hpp"
#include "stats/descriptive.hpp"
#include "stats/tests.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

namespace llmsweep::analysis {

const std::vector<std::string_view>& single_stream_settings() {
    static const std::vector<std::string_view> names = [] {
        std::vector<std::string_view> list = {param::n_gen};
        for (const domain::Knob& knob : domain::knobs())
            if (!knob.of_server_mode()) list.push_back(knob.name);
        return list;
    }();
    return names;
}

namespace {

std::optional<double> quantile(std::vector<double>& values, double p) {
    if (values.empty()) return std::nullopt;
    std::sort(values.begin(), values.end());
    return stats::quantile_sorted(values, p);
}

// What one point's requests add up to, as they are read.
struct Tally {
    std::vector<double> ttft, tpot, e2e, server_prompt, server_gen;
    size_t requests = 0, failed = 0, met = 0;
    std::map<int64_t, std::pair<double, double>> span; // repetition -> first submission, last answer (ms)
    std::map<int64_t, std::vector<double>> stream;     // repetition -> each request's 1000 / TPOT
};

// The native tg result a server point of one client compares with: the same model and settings, request mode
// with the same prompt first, else split mode.
const Record* native_match(const Dataset& data, const Record& server) {
    const Record* found = nullptr;
    for (const Record& r : data.records) {
        if (r.metric != "tg" || r.status != "ok" || r.model != server.model || r.params.at(param::n_depth) != "0")
            continue;
        // The same build on the same host: a server somebody else started (--url, build unknown) pairs with nothing.
        if (r.params.at("build_commit") != server.params.at("build_commit") ||
            r.params.at("hostname") != server.params.at("hostname") || server.params.at("build_commit") == "unknown")
            continue;
        // llama-server's load mode auto is not resolved (it does not say): it matches what auto came to.
        const bool same =
            std::all_of(single_stream_settings().begin(), single_stream_settings().end(), [&](std::string_view name) {
                const std::string &a = r.params.at(name), &b = server.params.at(name);
                return a == b || (name == param::load_mode && (a == "auto" || b == "auto"));
            });
        if (!same) continue;
        const std::string& mode = r.params.at("mode");
        if (mode == "request" && r.params.at(param::n_prompt) == server.params.at(param::n_prompt)) return &r;
        if (mode == "split") found = &r;
    }
    return found;
}

std::vector<SingleStream> single_stream(const Dataset& data, const std::vector<ServingPoint>& points) {
    std::vector<SingleStream> out;
    for (const ServingPoint& p : points) {
        if (p.open_loop || p.load != 1 || p.stream_tps.empty()) continue;
        const Record* native = native_match(data, *p.record);
        if (!native) continue;
        std::vector<double> native_ts, server_log, native_log;
        for (const Sample& s : data.samples_of(*native)) native_ts.push_back(s.ts);
        if (native_ts.empty()) continue;
        for (double v : p.stream_tps) server_log.push_back(std::log(v));
        for (double v : native_ts) native_log.push_back(std::log(v));
        SingleStream s{p.model,
                       p.value,
                       std::strtoll(p.record->params.at(param::n_prompt).c_str(), nullptr, 10),
                       std::strtoll(p.record->params.at(param::n_gen).c_str(), nullptr, 10),
                       native->params.at("mode"),
                       std::exp(stats::mean_sd(server_log).mean),
                       std::exp(stats::mean_sd(native_log).mean),
                       p.stream_tps.size(),
                       native_ts.size()};
        const double log_difference = stats::mean_sd(server_log).mean - stats::mean_sd(native_log).mean;
        s.difference_pct = 100 * std::expm1(log_difference);
        const auto varies = [](const std::vector<double>& v) {
            return std::any_of(v.begin(), v.end(), [&](double x) { return x != v.front(); });
        };
        if (server_log.size() >= 2 && native_log.size() >= 2 && (varies(server_log) || varies(native_log))) {
            const stats::WelchInterval w = stats::welch_interval(server_log, native_log, 0.95);
            s.low_pct = 100 * std::expm1(w.low);
            s.high_pct = 100 * std::expm1(w.high);
        }
        out.push_back(std::move(s));
    }
    return out;
}

} // namespace

Serving summarize_serving(store::Store& store, const Dataset& data, const std::string& compare,
                          const domain::Slo& slo) {
    Serving out;
    out.slo = slo;
    std::map<int64_t, const Record*> serve; // result id -> its record
    for (const Record& r : data.records)
        if (r.metric == "serve" && r.status == "ok") serve.emplace(r.result_id, &r);
    if (serve.empty()) return out;
    std::map<int64_t, Tally> tallies;
    const auto runs = data.run_ids();
    store.read_requests(runs.size() == 1 ? std::optional(runs.front()) : std::nullopt, [&](const store::RequestRow& q) {
        if (!serve.count(q.result_id)) return;
        Tally& t = tallies[q.result_id];
        ++t.requests;
        auto [it, first] = t.span.try_emplace(q.repetition, q.submit_ms, q.submit_ms + q.e2e_ms);
        if (!first) {
            it->second.first = std::min(it->second.first, q.submit_ms);
            it->second.second = std::max(it->second.second, q.submit_ms + q.e2e_ms);
        }
        if (!q.ok) {
            ++t.failed;
            return;
        }
        if (q.ttft_ms) t.ttft.push_back(*q.ttft_ms);
        if (q.tpot_ms) t.tpot.push_back(*q.tpot_ms);
        if (q.tpot_ms && *q.tpot_ms > 0) t.stream[q.repetition].push_back(1000 / *q.tpot_ms);
        t.e2e.push_back(q.e2e_ms);
        if (q.server_prompt_ms) t.server_prompt.push_back(*q.server_prompt_ms);
        if (q.server_gen_ms) t.server_gen.push_back(*q.server_gen_ms);
        if (slo.met(q.ttft_ms, q.tpot_ms, q.e2e_ms)) ++t.met;
    });
    for (auto& [id, t] : tallies) {
        const Record& r = *serve.at(id);
        ServingPoint p;
        p.record = &r;
        p.model = r.model;
        p.value = r.params.at(compare);
        p.open_loop = std::strtod(r.params.at(param::rate).c_str(), nullptr) > 0;
        p.load =
            std::strtod((p.open_loop ? r.params.at(param::rate) : r.params.at(param::concurrency)).c_str(), nullptr);
        p.image_size = std::strtoll(r.params.at(param::image_size).c_str(), nullptr, 10);
        p.image = r.params.at(param::image);
        p.images = p.has_image() ? std::strtoll(r.params.at(param::images).c_str(), nullptr, 10) : 0;
        p.requests = t.requests;
        p.failed = t.failed;
        double wall_s = 0;
        for (const auto& [repetition, span] : t.span) wall_s += (span.second - span.first) / 1000;
        const double ok = static_cast<double>(t.requests - t.failed);
        p.request_rate = wall_s > 0 ? ok / wall_s : 0;
        p.goodput = wall_s > 0 ? static_cast<double>(t.met) / wall_s : 0;
        p.slo_met = t.requests > 0 ? static_cast<double>(t.met) / static_cast<double>(t.requests) : 0;
        p.output_tps = r.avg_ts;
        const auto figures = [](std::vector<double>& values, std::optional<double>& mean, std::optional<double>& p50,
                                std::optional<double>& p90, std::optional<double>& p95, std::optional<double>& p99) {
            if (!values.empty()) mean = stats::mean_sd(values).mean;
            p50 = quantile(values, 0.5);
            p90 = quantile(values, 0.9);
            p95 = quantile(values, 0.95);
            p99 = quantile(values, 0.99);
        };
        figures(t.ttft, p.ttft_mean, p.ttft_p50, p.ttft_p90, p.ttft_p95, p.ttft_p99);
        figures(t.tpot, p.tpot_mean, p.tpot_p50, p.tpot_p90, p.tpot_p95, p.tpot_p99);
        figures(t.e2e, p.e2e_mean, p.e2e_p50, p.e2e_p90, p.e2e_p95, p.e2e_p99);
        p.server_prompt_p50 = quantile(t.server_prompt, 0.5);
        p.server_gen_p50 = quantile(t.server_gen, 0.5);
        if (const Latencies* l = data.latencies_of(r)) p.itl_p50 = l->itl_p50_ms, p.itl_p99 = l->itl_p99_ms;
        for (const auto& [repetition, rates] : t.stream) p.stream_tps.push_back(stats::mean_sd(rates).mean);
        out.points.push_back(std::move(p));
    }
    const std::vector<std::string> order = values_of(data, compare);
    const auto value_rank = [&](const std::string& value) {
        return std::find(order.begin(), order.end(), value) - order.begin();
    };
    std::stable_sort(out.points.begin(), out.points.end(), [&](const ServingPoint& a, const ServingPoint& b) {
        return std::tuple(a.model, value_rank(a.value), a.image_size, a.image, a.images, a.open_loop, a.load) <
               std::tuple(b.model, value_rank(b.value), b.image_size, b.image, b.images, b.open_loop, b.load);
    });
    // The Pareto front of each model and images, over closed and open loops alike: more throughput only at a
    // higher tail latency.
    for (ServingPoint& p : out.points) {
        if (!p.ttft_p99) continue;
        p.pareto = std::none_of(out.points.begin(), out.points.end(), [&](const ServingPoint& q) {
            const bool same_work = q.image_size == p.image_size && q.image == p.image && q.images == p.images;
            return &q != &p && q.model == p.model && same_work && q.ttft_p99 && q.output_tps >= p.output_tps &&
                   *q.ttft_p99 <= *p.ttft_p99 && (q.output_tps > p.output_tps || *q.ttft_p99 < *p.ttft_p99);
        });
    }
    out.single_stream = single_stream(data, out.points);
    if (slo.empty()) return out;
    for (const ServingPoint& p : out.points) {
        auto found = std::find_if(out.capacities.begin(), out.capacities.end(), [&](const ServingCapacity& c) {
            return c.model == p.model && c.value == p.value && c.open_loop == p.open_loop;
        });
        if (found == out.capacities.end()) {
            out.capacities.push_back({p.model, p.value, p.open_loop, std::nullopt, 0});
            found = out.capacities.end() - 1;
        }
        if (p.slo_met >= slo_share && (!found->load || p.load > *found->load)) {
            found->load = p.load;
            found->goodput = p.goodput;
        }
    }
    return out;
}

} // namespace llmsweep::analysis
