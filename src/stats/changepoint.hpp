#pragma once
// Change points in a sequence of levels (a benchmark's estimate per build, in history order): circular binary
// segmentation (Olshen, Venkatraman, Lucito and Wigler 2004) with a studentized statistic. A segment's statistic is
// the largest two-sample t between a stretch of it and the rest, |mean(in) - mean(out)| / (s * sqrt(1/n_in +
// 1/n_out)), s the pooled spread of both about their own means, over every stretch: a lasting step (the stretch
// reaches an end), a build that slowed and was fixed (a stretch of one inside) and several builds that did alike.
// Its p-value is the share of simulated segments of as many independent normal levels whose statistic is as large
// (the statistic does not depend on the levels' location or scale, so the builds' own spread sets the bar; the
// maximum over every stretch is what is simulated, so that looking everywhere is paid for). A segment whose
// p-value is below alpha is cut at the stretch's ends, and each part is searched again. With nothing changed and
// normal noise between builds only the first test can alarm: a history raises a false alarm with probability
// alpha. A build measured on a disturbed machine is a change of one build: run each build more than once.

#include <cstdint>
#include <span>
#include <vector>

namespace llmsweep::stats {

struct ChangePoint {
    size_t at = 0;        // the first index after the step
    double p_value = 1;   // of the segment's test that found it
    double statistic = 0; // the stretch's t
};

struct ChangePointOptions {
    double alpha = 0.05;
    size_t simulations = 999;
    uint64_t seed = 1; // the simulated segments are drawn from it: the same levels always give the same answer
};

// The change points of `levels`, ascending by index. Fewer than three levels, or any that is not finite, have
// none.
std::vector<ChangePoint> change_points(std::span<const double> levels, const ChangePointOptions& options = {});

} // namespace llmsweep::stats
