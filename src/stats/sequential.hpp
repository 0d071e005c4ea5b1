#pragma once
// Group-sequential t tests by alpha spending (Lan and DeMets 1983): a test of no mean effect over replicates,
// looked at after every new replicate from the `first` to the `last`, that may stop at any look and still errs
// with probability alpha at most. Each look gets a nominal two-sided level such that the chance of crossing any
// look's boundary up to look k, with no effect, is spent(k). With a handful of replicates the t statistics of
// successive looks are not the normal process that the classical recursive integration assumes (each look
// estimates the spread anew), so the boundaries are calibrated on the t statistics themselves: by simulating
// many null sequences of normal replicates (Jennison and Turnbull 2000, sec. 11.3). Seeded: the same design
// always gets the same levels.

#include <cstdint>
#include <vector>

namespace llmsweep::stats {

// `spent[k]`: the total two-sided error allowed up to the look at first + k replicates (last - first + 1 values,
// increasing). Returns each look's nominal two-sided level (the t test's p-value below which it stops).
std::vector<double> sequential_t_levels(int64_t first, int64_t last, const std::vector<double>& spent);

} // namespace llmsweep::stats
