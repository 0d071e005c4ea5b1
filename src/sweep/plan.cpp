#include "sweep/plan.hpp"

#include "core/error.hpp"
#include "core/hash.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

namespace llmsweep::sweep {
namespace {

// Far beyond any sweep that finishes (a million points at a second each is 12 days); above it, a typo.
constexpr size_t max_points = 1'000'000;

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

// Refuses a plan with no point, or with so many that it is surely a typo (and would not fit in memory),
// before a single point is made.
void check_size(const SweepSpec& spec, size_t threads) {
    const size_t prompts = spec.n_prompt.size(), gens = spec.n_gen.size();
    const size_t tests_per_depth =
        spec.mode == Mode::request
            ? prompts * gens
            : static_cast<size_t>(std::count_if(spec.n_prompt.begin(), spec.n_prompt.end(), [](int64_t p) { return p > 0; }) +
                                  std::count_if(spec.n_gen.begin(), spec.n_gen.end(), [](int64_t g) { return g > 0; }));
    const std::vector<std::pair<std::string_view, size_t>> factors = {
        {"models", spec.models.size()}, {"load modes", spec.load_modes.size()},
        {"cache states", spec.cache_states.size()}, {"GPU layer counts", spec.n_gpu_layers.size()},
        {"thread counts", threads}, {"batch sizes", spec.n_batch.size()}, {"ubatch sizes", spec.n_ubatch.size()},
        {"K cache types", spec.type_k.size()}, {"V cache types", spec.type_v.size()},
        {"flash attention settings", spec.flash_attn.size()}, {"depths", spec.n_depth.size()},
        {"tests per depth", tests_per_depth}};
    size_t points = 1;
    std::vector<std::string> shape;
    for (const auto& [what, n] : factors) {
        if (__builtin_mul_overflow(points, n, &points)) points = max_points + 1;
        if (n > 1) shape.push_back(fmt::format("{} {}", n, what));
        points = std::min(points, max_points + 1);   // no overflow, whatever the factors that follow
    }
    if (points == 0)
        throw UsageError(spec.mode == Mode::split
                             ? "the sweep has no test: in split mode an n_prompt above 0 is a pp test and an n_gen "
                               "above 0 a tg test; pass -p or -n with a value above 0"
                             : "the sweep has no point; give every parameter at least one value");
    if (points > max_points)
        throw UsageError(fmt::format("the sweep has more than {} points ({}); sweep fewer values, or split it into "
                                     "several sweeps",
                                     max_points, fmt::join(shape, " x ")));
}

} // namespace

std::string Point::key(Mode mode) const {
    return fmt::format("mode={};model={};load_mode={};cache={};ngl={};threads={};n_batch={};n_ubatch={};"
                       "type_k={};type_v={};fa={};n_prompt={};n_gen={};n_depth={}",
                       name(mode), model_identity(load.model), name(load.load_mode), name(load.cache_state),
                       load.n_gpu_layers, context.threads, context.n_batch, context.n_ubatch, context.type_k,
                       context.type_v, context.flash_attn, test.n_prompt, test.n_gen, test.n_depth);
}

std::string model_fingerprint(const std::string& path) {
    constexpr size_t head = 8 << 20, tail = 1 << 20;
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    if (!file) return "unreadable";
    const auto size = static_cast<size_t>(file.tellg());
    std::string bytes(std::min(size, head), '\0');
    file.seekg(0);
    file.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (size > head) {
        std::string end(std::min(size - head, tail), '\0');
        file.seekg(static_cast<std::streamoff>(size - end.size()));
        file.read(end.data(), static_cast<std::streamsize>(end.size()));
        bytes += end;
    }
    return fmt::format("{} bytes, sha256 {}", size, sha256_hex(bytes).substr(0, 16));
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
    check_size(spec, threads.size());
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
