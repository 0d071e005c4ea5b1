#include "sweep/plan.hpp"

#include "core/error.hpp"
#include "domain/parameter_names.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

namespace llmsweep::sweep {
using namespace domain;

namespace {

// Far beyond any sweep that finishes (a million points at a second each is 12 days); above it, a typo.
constexpr size_t max_points = 1'000'000;

// The product of each setting's values, the first setting varying slowest: expand(values, set) multiplies.
template <typename T>
class Product {
public:
    template <typename Values, typename Set>
    Product& expand(const Values& values, Set set) {
        std::vector<T> next;
        for (const T& item : items_)
            for (const auto& value : values) {
                T copy = item;
                set(copy, value);
                next.push_back(std::move(copy));
            }
        items_ = std::move(next);
        return *this;
    }
    std::vector<T> items() const { return items_; }

private:
    std::vector<T> items_{T{}};
};

// Every combination of the items so far with the values of the knobs of `scope`, the first knob varying slowest;
// a knob whose default is the host's takes `threads` where the spec gives none.
Product<Point>& expand_knobs(Product<Point>& product, const SweepSpec& spec, Knob::Scope scope,
                             std::optional<int64_t> threads = {}) {
    for (const Knob& knob : knobs())
        if (knob.scope() == scope)
            product.expand(spec.values_of(knob, threads), [&](Point& p, const std::string& v) { knob.set(p, v); });
    return product;
}

template <typename Part>
std::vector<Part> parts(const std::vector<Point>& points, Part Point::*part) {
    std::vector<Part> out;
    out.reserve(points.size());
    for (const Point& p : points) out.push_back(p.*part);
    return out;
}

// The sweep's test sizes, each list as given.
struct Sizes {
    std::vector<int64_t> prompts, gens, depths;
    explicit Sizes(const SweepSpec& spec)
        : prompts(spec.integers_of(*find_parameter(param::n_prompt))),
          gens(spec.integers_of(*find_parameter(param::n_gen))),
          depths(spec.integers_of(*find_parameter(param::n_depth))) {}
};

// The sizes of the tests: prompts, generations and depths, as the mode combines them.
std::vector<TestParams> test_sizes_of(const SweepSpec& spec) {
    const Sizes sizes(spec);
    std::vector<TestParams> tests;
    for (int64_t depth : sizes.depths) {
        if (spec.mode != Mode::split) {
            for (int64_t p : sizes.prompts)
                for (int64_t g : sizes.gens) tests.push_back({p, g, depth});
        } else {
            // llama-bench's split: each prompt size is a pp test, each generation size a tg test.
            for (int64_t p : sizes.prompts)
                if (p > 0) tests.push_back({p, 0, depth});
            for (int64_t g : sizes.gens)
                if (g > 0) tests.push_back({0, g, depth});
            for (const auto& [p, g] : spec.n_pg) tests.push_back({p, g, depth});
        }
    }
    return tests;
}

} // namespace

std::vector<TestParams> tests_of(const SweepSpec& spec) {
    // Each size with every value of the test knobs (an image before the prompt, ...).
    Product<Point> tests;
    tests.expand(test_sizes_of(spec), [](Point& p, const TestParams& size) { p.test = size; });
    return parts(expand_knobs(tests, spec, Knob::Scope::test).items(), &Point::test);
}

double test_work(const TestParams& t) {
    return static_cast<double>(t.n_depth + t.n_prompt) + generated_token_weight * static_cast<double>(t.n_gen);
}

void check_shard_count(int64_t shards, size_t tests, const std::string& given) {
    if (static_cast<size_t>(shards) > tests)
        throw UsageError(fmt::format("{}: the sweep has {} test{} (sizes of prompt, generation and depth), and a shard "
                                     "takes whole tests so that no pair is split; use at most {} shards",
                                     given, tests, tests == 1 ? "" : "s", tests));
}

std::vector<std::vector<size_t>> shard_tests(const std::vector<TestParams>& tests, int64_t shards) {
    const auto work = test_work;
    std::vector<size_t> order(tests.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return work(tests[a]) > work(tests[b]); });
    std::vector<std::vector<size_t>> out(static_cast<size_t>(std::max<int64_t>(shards, 1)));
    std::vector<double> load(out.size(), 0);
    for (const size_t t : order) {
        const size_t least = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
        out[least].push_back(t);
        load[least] += work(tests[t]);
    }
    for (auto& shard : out) std::sort(shard.begin(), shard.end()); // in the spec's order
    return out;
}

namespace {

// Every combination of the load settings: each is one load group.
std::vector<LoadParams> loads_of(const SweepSpec& spec) {
    Product<Point> loads;
    loads.expand(spec.models, [](Point& p, const std::string& v) { p.load.model = v; });
    // The llama-bench binaries after the cache state, where they have always been in the plan's order.
    for (const Knob& knob : knobs()) {
        if (!knob.of_load()) continue;
        loads.expand(spec.values_of(knob), [&](Point& p, const std::string& v) { knob.set(p, v); });
        if (knob.name == param::cache_state && spec.llama_bench.size() > 1)
            loads.expand(spec.llama_bench, [](Point& p, const std::string& v) { p.load.llama_bench = v; });
    }
    return parts(loads.items(), &Point::load);
}

// Every combination of the context settings, the first setting varying slowest.
std::vector<ContextParams> contexts_of(const SweepSpec& spec, int64_t default_threads) {
    Product<Point> contexts;
    return parts(expand_knobs(contexts, spec, Knob::Scope::context, default_threads).items(), &Point::context);
}

// Server mode: every combination of llama-server's own settings; each is a server of its own.
std::vector<ServerParams> servers_of(const SweepSpec& spec) {
    Product<Point> servers;
    return parts(expand_knobs(servers, spec, Knob::Scope::server).items(), &Point::server);
}

// Server mode: the client loads (closed loops, then open ones) with every request shape.
std::vector<ClientLoad> clients_of(const SweepSpec& spec) {
    Product<Point> clients;
    clients.expand(spec.client_loops(), [](Point& p, const ClientLoad& v) { p.client = v; });
    return parts(expand_knobs(clients, spec, Knob::Scope::client).items(), &Point::client);
}

// Refuses a plan with no point, or with so many that it is surely a typo (and would not fit in memory),
// before a single point is made.
void check_size(const SweepSpec& spec) {
    const Sizes sizes(spec);
    const auto above_0 = [](const std::vector<int64_t>& v) {
        return static_cast<size_t>(std::count_if(v.begin(), v.end(), [](int64_t n) { return n > 0; }));
    };
    const size_t tests_per_depth = spec.mode != Mode::split
                                       ? sizes.prompts.size() * sizes.gens.size()
                                       : above_0(sizes.prompts) + above_0(sizes.gens) + spec.n_pg.size();
    std::vector<std::pair<std::string_view, size_t>> factors = {
        {"models", spec.models.size()},
        {"llama-bench binaries", std::max<size_t>(spec.llama_bench.size(), 1)},
        {"depths", sizes.depths.size()},
        {"client loads", spec.client_loops().size()},
        {"tests per depth", tests_per_depth}};
    for (const Knob& knob : knobs()) factors.emplace_back(knob.plural, spec.values_of(knob).size());
    size_t points = 1;
    std::vector<std::string> shape;
    for (const auto& [what, n] : factors) {
        if (__builtin_mul_overflow(points, n, &points)) points = max_points + 1;
        if (n > 1) shape.push_back(fmt::format("{} {}", n, what));
        points = std::min(points, max_points + 1); // no overflow, whatever the factors that follow
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

size_t Plan::n_tasks() const {
    size_t n = 0;
    for (const auto& visit : visits) n += visit.tasks.size();
    return n;
}

Plan make_plan(const SweepSpec& spec, int64_t default_threads) {
    Plan plan;
    check_size(spec);
    std::vector<TestParams> tests = tests_of(spec);
    if (spec.shard) {
        const auto [k, n] = *spec.shard;
        check_shard_count(n, tests.size(), fmt::format("--shard {}/{}", k, n));
        const auto shards = shard_tests(tests, n);
        std::vector<TestParams> mine;
        for (const size_t t : shards[static_cast<size_t>(k - 1)]) mine.push_back(tests[t]);
        tests = std::move(mine);
    }
    const std::vector<ContextParams> contexts = contexts_of(spec, default_threads);
    const RunParams run = spec.run();

    if (spec.mode == Mode::server) {
        // One server per combination of the load, context and server settings; its points are the client loads.
        const std::vector<ServerParams> servers = servers_of(spec);
        const std::vector<ClientLoad> clients = clients_of(spec);
        for (const LoadParams& load : loads_of(spec))
            for (const ContextParams& context : contexts)
                for (const ServerParams& server : servers) {
                    std::vector<size_t> group;
                    for (const ClientLoad& client : clients)
                        for (TestParams test : tests) {
                            // Drawn lengths: the point's n_prompt and n_gen are their means.
                            if (!client.prompt_dist.empty())
                                test.n_prompt = std::llround(parse_lengths(client.prompt_dist, "", 1).mean());
                            if (!client.gen_dist.empty())
                                test.n_gen = std::llround(parse_lengths(client.gen_dist, "", 1).mean());
                            group.push_back(plan.points.size());
                            plan.points.push_back({load, context, test, server, client, run});
                        }
                    plan.groups.push_back(std::move(group));
                }
    }
    for (const LoadParams& load : spec.mode == Mode::server ? std::vector<LoadParams>{} : loads_of(spec)) {
        std::vector<size_t> group;
        for (const ContextParams& context : contexts)
            for (const TestParams& test : tests) {
                group.push_back(plan.points.size());
                plan.points.push_back({load, context, test, {}, {}, run});
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
