#pragma once
// Hypothesis tests for paired samples, and multiple-comparison correction. Pure functions; distributions
// from Boost.Math.

#include <span>
#include <vector>

namespace llmsweep::stats {

struct TestResult {
    double statistic = 0; // t for the t-test, V (sum of positive ranks) for Wilcoxon
    double p_value = 1;   // two-sided
    size_t n = 0;         // pairs used (Wilcoxon drops zero differences)
    bool exact = false;   // Wilcoxon: exact distribution rather than the normal approximation
};

// Student's paired t-test on differences x - y. Needs at least two pairs and not all differences equal.
TestResult paired_t_test(std::span<const double> x, std::span<const double> y);

// Wilcoxon signed-rank test on x - y, as R's wilcox.test(x, y, paired = TRUE): zero differences dropped,
// tied |differences| get average ranks; exact p-value for n < 50 without ties or zeros, otherwise the normal
// approximation with the ties correction of the variance and a continuity correction.
TestResult wilcoxon_signed_rank(std::span<const double> x, std::span<const double> y);

// Holm's step-down adjustment (Holm 1979), in the order given; as R's p.adjust(p, "holm").
std::vector<double> holm_adjust(std::span<const double> p_values);

// The two-sided Student t quantile: the value q with P(|T| <= q) = confidence for `df` degrees of freedom.
double student_t_critical(double confidence, double df);

} // namespace llmsweep::stats
