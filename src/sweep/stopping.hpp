#pragma once
// Adaptive rounds (run --max-repetitions): after the plan's rounds, one more round at a time for the points that
// still need one, until each point meets the stopping rule or has max_repetitions. A point needs another round
// when its result's mean is not yet known to +-target_ci_pct (95 % interval), or when a comparison of a --decide
// parameter it belongs to is not yet faster, slower or equivalent and can still become so by the limit: judged
// by the report's own analysis, with each look at its share of alpha (analysis::Looks), so that looking after
// every round makes no more false verdicts than looking once. Every decision is made from the run's stored samples of the rounds before it
// alone: a resumed run makes the same decisions and runs the same rounds.

#include "store/store.hpp"
#include "sweep/plan.hpp"
#include "sweep/spec.hpp"

#include <string>
#include <vector>

namespace llmsweep::sweep {

// What the samples of the rounds before `round` say of the plan's points (indices, ascending): those that need
// that round, and those of a comparison whose verdict is out of reach by the limit (analysis::conditional_power)
// that need it for nothing else: a round more would most likely leave the comparison inconclusive.
struct RoundNeeds {
    std::vector<size_t> needed, out_of_reach;
};
// `point_keys`: each plan point's key.
RoundNeeds points_needing_round(store::Store& store, int64_t run_id, const SweepSpec& spec,
                                const std::vector<std::string>& point_keys, int64_t round);

// The visits of an added round: every load group with a point in `points` (plan indices), in a random order
// drawn from the spec's seed and the round, each with those of its points, shuffled.
std::vector<Visit> added_round(const Plan& plan, const std::vector<size_t>& points, int64_t round, uint64_t seed);

} // namespace llmsweep::sweep
