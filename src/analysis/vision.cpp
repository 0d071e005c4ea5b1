#include "analysis/vision.hpp"

#include "domain/parameter_names.hpp"
#include "stats/descriptive.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <tuple>

namespace llmsweep::analysis {
namespace {

// What one point's image samples add up to. A figure no image can have (an edited database: a time that is not
// positive, tokens or slices beyond any model's) leaves its sample out, or the part of it that is impossible.
struct ImageTally {
    std::vector<double> encode_ms, tokens, slices, ms_per_token;
    std::map<int64_t, double> first_ms_per_token; // per load
};

constexpr double max_image_tokens = 1e6, max_slices = 1e4;

bool plausible_count(std::optional<int64_t> n, double at_most) {
    return n && *n > 0 && static_cast<double>(*n) <= at_most;
}

// The parameters that say which image a point encodes, or that do not bear on it (the text's test sizes).
bool names_the_image(const std::string& name) {
    return name == param::image_size || name == param::image || name == param::images || name == param::n_prompt ||
           name == param::n_gen;
}

// A point's identity but its metric: what pairs its img with its ipp.
std::tuple<int64_t, std::string, std::vector<uint32_t>> point_of(const Record& r) {
    std::vector<uint32_t> ids(parameter_list().size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = r.params.id(i);
    return {r.run_id, std::string(r.model), std::move(ids)};
}

} // namespace

std::vector<VisionPoint> summarize_vision(store::Store& store, const Dataset& data, const std::string& compare,
                                          const std::vector<std::string>& varying) {
    std::map<int64_t, const Record*> encodes; // result id -> its img record
    std::map<std::tuple<int64_t, std::string, std::vector<uint32_t>>, const Record*> prefills;
    for (const Record& r : data.records) {
        if (r.status != "ok") continue;
        if (r.metric == "img") encodes.emplace(r.result_id, &r);
        if (r.metric == "ipp") prefills.emplace(point_of(r), &r);
    }
    std::vector<VisionPoint> out;
    if (encodes.empty()) return out;
    std::map<int64_t, ImageTally> tallies;
    const auto runs = data.run_ids();
    store.read_image_samples(
        runs.size() == 1 ? std::optional(runs.front()) : std::nullopt, [&](const store::ImageSampleRow& row) {
            if (!encodes.count(row.result_id) || !std::isfinite(row.ns) || row.ns <= 0) return;
            // Before schema 12 a sample's tokens are its throughput times its time.
            const auto tokens = row.tokens ? row.tokens : std::optional<int64_t>(std::llround(row.ts * row.ns / 1e9));
            if (!plausible_count(tokens, max_image_tokens)) return;
            ImageTally& t = tallies[row.result_id];
            const double ms = row.ns / 1e6;
            t.encode_ms.push_back(ms);
            t.tokens.push_back(static_cast<double>(*tokens));
            t.ms_per_token.push_back(ms / static_cast<double>(*tokens));
            if (plausible_count(row.slices, max_slices)) t.slices.push_back(static_cast<double>(*row.slices));
            if (row.load_id && row.first_image_ms && std::isfinite(*row.first_image_ms) && *row.first_image_ms > 0 &&
                plausible_count(row.first_image_tokens, max_image_tokens))
                t.first_ms_per_token[*row.load_id] = *row.first_image_ms / static_cast<double>(*row.first_image_tokens);
        });
    // The settings that tell the image points apart: those that vary among them (not among every result: a text
    // model beside the vision-language one varies the model's type and mmproj, which the images' rows share).
    std::vector<std::string> differing;
    for (const std::string& name : varying) {
        if (name == compare || name == "model" || names_the_image(name)) continue;
        const std::string& first = encodes.begin()->second->params.at(name);
        if (std::any_of(encodes.begin(), encodes.end(),
                        [&](const auto& e) { return e.second->params.at(name) != first; }))
            differing.push_back(name);
    }
    for (auto& [id, t] : tallies) {
        const Record& r = *encodes.at(id);
        VisionPoint p;
        p.record = &r;
        p.model = r.model;
        p.value = r.params.at(compare);
        std::vector<std::string> settings;
        for (const std::string& name : differing) settings.push_back(fmt::format("{}={}", name, r.params.at(name)));
        p.settings = fmt::format("{}", fmt::join(settings, ", "));
        p.image_size = std::strtoll(r.params.at(param::image_size).c_str(), nullptr, 10);
        p.image = r.params.at(param::image);
        if (p.image == "none") p.image.clear();
        p.per_request = std::clamp<int64_t>(std::strtoll(r.params.at(param::images).c_str(), nullptr, 10), 1, 64);
        const auto per = static_cast<double>(p.per_request);
        p.images = t.encode_ms.size() * static_cast<size_t>(p.per_request);
        const stats::MeanSd encode = stats::mean_sd(t.encode_ms);
        p.encode_ms = encode.mean / per;
        p.encode_ms_sd = t.encode_ms.size() > 1 ? encode.sd / per : 0;
        p.tokens = stats::mean_sd(t.tokens).mean / per;
        if (t.slices.size() == t.encode_ms.size()) {
            p.slices = stats::mean_sd(t.slices).mean / per;
            p.slice_ms = p.encode_ms / *p.slices;
        }
        p.encode_tps = r.avg_ts;
        if (const auto found = prefills.find(point_of(r)); found != prefills.end())
            p.prefill_tps = found->second->avg_ts;
        if (!t.first_ms_per_token.empty()) {
            std::vector<double> first;
            for (const auto& [load, ms] : t.first_ms_per_token) first.push_back(ms);
            p.first_images = first.size();
            p.first_image_pct = 100 * (stats::mean_sd(first).mean / stats::mean_sd(t.ms_per_token).mean - 1);
        }
        out.push_back(std::move(p));
    }
    const std::vector<std::string> order = values_of(data, compare);
    const auto value_rank = [&](const std::string& value) {
        return std::find(order.begin(), order.end(), value) - order.begin();
    };
    std::stable_sort(out.begin(), out.end(), [&](const VisionPoint& a, const VisionPoint& b) {
        return std::tuple(a.model, value_rank(a.value), a.settings, !a.image.empty(), a.image_size, a.image,
                          a.per_request) < std::tuple(b.model, value_rank(b.value), b.settings, !b.image.empty(),
                                                      b.image_size, b.image, b.per_request);
    });
    return out;
}

} // namespace llmsweep::analysis
