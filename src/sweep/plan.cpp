#include "sweep/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

namespace llmsweep::sweep {
namespace {

std::string model_identity(const std::string& path) {
    std::error_code ec;
    const auto absolute = std::filesystem::weakly_canonical(path, ec);
    const auto size = std::filesystem::file_size(path, ec);
    return fmt::format("{}:{}", ec ? path : absolute.string(), ec ? 0 : size);
}

std::vector<TestParams> tests_of(const SweepSpec& spec) {
    std::vector<TestParams> tests;
    for (int64_t depth : spec.n_depth) {
        if (spec.mode == Mode::request) {
            for (int64_t p : spec.n_prompt)
                for (int64_t g : spec.n_gen) tests.push_back({p, g, depth});
        } else {
            // llama-bench's split: each n_prompt is a pp test, each n_gen a tg test.
            for (int64_t p : spec.n_prompt)
                if (p > 0) tests.push_back({p, 0, depth});
            for (int64_t g : spec.n_gen)
                if (g > 0) tests.push_back({0, g, depth});
        }
    }
    return tests;
}

} // namespace

std::string Point::key(Mode mode) const {
    return fmt::format("mode={};model={};load_mode={};cache={};ngl={};threads={};n_batch={};n_ubatch={};"
                       "type_k={};type_v={};fa={};n_prompt={};n_gen={};n_depth={}",
                       name(mode), model_identity(load.model), name(load.load_mode), name(load.cache_state),
                       load.n_gpu_layers, context.threads, context.n_batch, context.n_ubatch, context.type_k,
                       context.type_v, context.flash_attn, test.n_prompt, test.n_gen, test.n_depth);
}

std::vector<std::string> metrics_of(const Point& point, Mode mode) {
    if (mode == Mode::request) return {"pp", "tg"};
    return {point.test.n_prompt > 0 ? "pp" : "tg"};
}

size_t Plan::n_tasks() const {
    size_t n = 0;
    for (const auto& visit : visits) n += visit.tasks.size();
    return n;
}

Plan make_plan(const SweepSpec& spec, int64_t default_threads) {
    Plan plan;
    const std::vector<int64_t> threads = spec.threads.empty() ? std::vector<int64_t>{default_threads} : spec.threads;
    const std::vector<TestParams> tests = tests_of(spec);

    for (const auto& model : spec.models)
        for (LoadMode load_mode : spec.load_modes)
            for (CacheState cache : spec.cache_states)
                for (int64_t ngl : spec.n_gpu_layers) {
                    std::vector<size_t> group;
                    const LoadParams load{model, load_mode, cache, ngl};
                    for (int64_t t : threads)
                        for (int64_t b : spec.n_batch)
                            for (int64_t ub : spec.n_ubatch)
                                for (const auto& tk : spec.type_k)
                                    for (const auto& tv : spec.type_v)
                                        for (const auto& fa : spec.flash_attn)
                                            for (const TestParams& test : tests) {
                                                group.push_back(plan.points.size());
                                                plan.points.push_back({load, {t, b, ub, tk, tv, fa}, test});
                                            }
                    plan.groups.push_back(std::move(group));
                }

    if (spec.order == Order::grouped) {
        // llama-bench's order: one load per group, every repetition of a point back to back.
        for (size_t g = 0; g < plan.groups.size(); ++g) {
            Visit visit{g, 0, {}};
            for (size_t p : plan.groups[g])
                for (int64_t r = 0; r < spec.repetitions; ++r) visit.tasks.push_back({p, r});
            plan.visits.push_back(std::move(visit));
        }
        return plan;
    }

    // Rounds: every round visits every load group once, in a fresh random order, and runs one repetition of
    // each of its points, also shuffled. Slow drift of the machine then falls on all values alike.
    std::mt19937_64 rng(spec.seed);
    std::vector<size_t> group_order(plan.groups.size());
    for (int64_t round = 0; round < spec.repetitions; ++round) {
        std::iota(group_order.begin(), group_order.end(), size_t{0});
        std::shuffle(group_order.begin(), group_order.end(), rng);
        for (size_t g : group_order) {
            Visit visit{g, round, {}};
            std::vector<size_t> points = plan.groups[g];
            std::shuffle(points.begin(), points.end(), rng);
            for (size_t p : points) visit.tasks.push_back({p, round});
            plan.visits.push_back(std::move(visit));
        }
    }
    return plan;
}

} // namespace llmsweep::sweep
