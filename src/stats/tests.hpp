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

// Welch's interval of mean(x) - mean(y) for two independent samples of unequal variances (Welch 1947): the
// difference plus or minus the t quantile at the Welch-Satterthwaite degrees of freedom times its standard error.
// Needs two values or more in each sample and some variance in one of them.
struct WelchInterval {
    double difference = 0, low = 0, high = 0, df = 0;
};
WelchInterval welch_interval(std::span<const double> x, std::span<const double> y, double confidence);

// P(|T| >= |t|) for Student's t with `df` degrees of freedom: a two-sided test's p-value.
double student_t_two_sided_p(double t, double df);

// The two-sided Student t quantile: the value q with P(|T| <= q) = confidence for `df` degrees of freedom.
double student_t_critical(double confidence, double df);

} // namespace llmsweep::stats
