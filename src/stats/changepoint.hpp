#pragma once
// Change points in a sequence of levels (a benchmark's estimate per build, in history order): binary segmentation
// with a permutation test. A segment's statistic is the largest standardized difference of means between its two
// parts over every place it can be split, |mean(left) - mean(right)| * sqrt(n_left * n_right / n); its p-value is
// the share of random reorderings of the segment whose statistic is as large (the levels are exchangeable when
// nothing stepped, whatever their noise: its spread is the one the builds show, not an assumed one). A segment
// whose p-value is below alpha is split where its statistic peaks, and both parts are searched again. Under no
// change the first test alone can alarm, so a history raises a false alarm with probability alpha at most.

#include <cstdint>
#include <span>
#include <vector>

namespace llmsweep::stats {

struct ChangePoint {
    size_t at = 0;      // the first index of the part after the step
    double p_value = 1; // of the segment's test that found it
    double statistic = 0;
};

struct ChangePointOptions {
    double alpha = 0.05;
    size_t permutations = 999;
    uint64_t seed = 1; // the reorderings are drawn from it: the same levels always give the same answer
};

// The change points of `levels`, ascending by index. Fewer than three levels have none (two levels reorder two
// ways: no p-value below 0.5).
std::vector<ChangePoint> change_points(std::span<const double> levels, const ChangePointOptions& options = {});

} // namespace llmsweep::stats
