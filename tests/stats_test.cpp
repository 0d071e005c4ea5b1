#include "stats/blocked.hpp"
#include "stats/bootstrap.hpp"
#include "stats/changepoint.hpp"
#include "stats/descriptive.hpp"
#include "stats/sequential.hpp"
#include "stats/tests.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

namespace llmsweep::stats {
namespace {

// R's `sleep` data set: extra hours of sleep with two drugs, ten patients.
const std::vector<double> sleep_drug1 = {0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0};
const std::vector<double> sleep_drug2 = {1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4};

TEST(StudentT, CriticalValuesMatchTables) {
    EXPECT_NEAR(student_t_critical(0.95, 10), 2.228138852, 1e-9);
    EXPECT_NEAR(student_t_critical(0.99, 4), 4.604094871, 1e-9);
    EXPECT_NEAR(student_t_critical(0.95, 1e6), 1.959966, 1e-5);
}

TEST(PairedT, MatchesRsSleepExample) {
    // R: t.test(drug1, drug2, paired = TRUE) -> t = -4.0621, df = 9, p-value = 0.002833
    const TestResult r = paired_t_test(sleep_drug1, sleep_drug2);
    EXPECT_NEAR(r.statistic, -4.0621, 5e-5);
    EXPECT_NEAR(r.p_value, 0.002833, 5e-7);
    EXPECT_EQ(r.n, 10u);
}

TEST(PairedT, NoVariationIsNoEvidence) {
    const std::vector<double> x = {1, 2, 3}, y = {0, 1, 2};
    EXPECT_EQ(paired_t_test(x, y).p_value, 1.0);
}

TEST(Wilcoxon, ExactForSmallSamplesMatchesR) {
    // R's ?wilcox.test example (Hollander & Wolfe, depression scale):
    // wilcox.test(x, y, paired = TRUE) -> V = 40, p-value = 0.03906
    const std::vector<double> x = {1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30};
    const std::vector<double> y = {0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29};
    const TestResult r = wilcoxon_signed_rank(x, y);
    EXPECT_TRUE(r.exact);
    EXPECT_EQ(r.statistic, 40);
    EXPECT_NEAR(r.p_value, 0.0390625, 1e-9); // 20 of 512 sign patterns, twice
}

TEST(Wilcoxon, TiesAndZerosUseTheCorrectedNormalApproximationLikeR) {
    // R: wilcox.test(drug1, drug2, paired = TRUE) -> V = 0, p-value = 0.009091 (with ties and a zero)
    const TestResult r = wilcoxon_signed_rank(sleep_drug1, sleep_drug2);
    EXPECT_FALSE(r.exact);
    EXPECT_EQ(r.statistic, 0);
    EXPECT_EQ(r.n, 9u);
    EXPECT_NEAR(r.p_value, 0.009091, 5e-7);
}

TEST(Wilcoxon, SymmetricDifferencesAreNotSignificant) {
    const std::vector<double> x = {1, -2, 3, -4, 5, -6}, zero(6, 0.0);
    const TestResult r = wilcoxon_signed_rank(x, zero);
    EXPECT_GT(r.p_value, 0.5);
}

TEST(Holm, MatchesRsPAdjust) {
    // R: p.adjust(c(0.01, 0.04, 0.03, 0.005), "holm") -> 0.03 0.06 0.06 0.02
    const std::vector<double> p = {0.01, 0.04, 0.03, 0.005};
    const std::vector<double> adjusted = holm_adjust(p);
    ASSERT_EQ(adjusted.size(), 4u);
    EXPECT_NEAR(adjusted[0], 0.03, 1e-12);
    EXPECT_NEAR(adjusted[1], 0.06, 1e-12);
    EXPECT_NEAR(adjusted[2], 0.06, 1e-12);
    EXPECT_NEAR(adjusted[3], 0.02, 1e-12);
    EXPECT_EQ(holm_adjust(std::vector<double>{0.6, 0.7})[1], 1.0); // capped at 1
}

TEST(Bootstrap, ReproducibleAndAroundTheMean) {
    const std::vector<double> v = {9.8, 10.1, 10.4, 9.9, 10.0, 10.3, 9.7, 10.2};
    const Interval a = bootstrap_mean_ci(v, 0.95, 2000, 7), b = bootstrap_mean_ci(v, 0.95, 2000, 7);
    EXPECT_EQ(a.low, b.low);
    EXPECT_EQ(a.high, b.high);
    const double mean = mean_sd(v).mean;
    EXPECT_LT(a.low, mean);
    EXPECT_GT(a.high, mean);
    // The resampled means have variance s_n^2 / n, with the plug-in s_n (divisor n): for symmetric data the
    // percentile interval is close to mean +- 1.96 s_n / sqrt(n).
    const double plug_in_sd = mean_sd(v).sd * std::sqrt(7.0 / 8.0);
    const double expected_width = 2 * 1.959964 * plug_in_sd / std::sqrt(8.0);
    EXPECT_NEAR(a.high - a.low, expected_width, expected_width * 0.1);
    const Interval other_seed = bootstrap_mean_ci(v, 0.95, 2000, 8);
    EXPECT_TRUE(other_seed.low != a.low || other_seed.high != a.high);
}

TEST(Bootstrap, ConstantDataGiveAPointInterval) {
    const std::vector<double> v(5, 3.5);
    const Interval i = bootstrap_mean_ci(v, 0.95, 100, 1);
    EXPECT_DOUBLE_EQ(i.low, 3.5);
    EXPECT_DOUBLE_EQ(i.high, 3.5);
}

TEST(Stats, MeanSdIsStableForLargeOffsets) {
    // The naive sum of squares loses every digit here; Welford's update does not.
    const std::vector<double> v = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
    const auto r = mean_sd(v);
    EXPECT_DOUBLE_EQ(r.mean, 1e9 + 10);
    EXPECT_NEAR(r.sd, std::sqrt(30.0), 1e-9);
    EXPECT_EQ(mean_sd(std::vector<double>{3.0}).sd, 0.0);
}

TEST(Stats, QuantileInterpolatesLikeRType7) {
    const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.5), 5.5);
    EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.9), 9.1); // R: quantile(1:10, 0.9) = 9.1
    EXPECT_DOUBLE_EQ(quantile_sorted(v, 0.99), 9.91);
    EXPECT_DOUBLE_EQ(quantile_sorted(std::vector<double>{4.0}, 0.99), 4.0);
}

// Five blocks of one point each: the estimate, intervals and p are SciPy's one-sample t test on the log
// ratios (scipy.stats.ttest_1samp, t.ppf), back on the percent scale.
TEST(Blocked, MatchesScipysOneSampleTOnTheBlocks) {
    const std::vector<std::vector<std::optional<double>>> blocks = {{0.012}, {0.020}, {-0.004}, {0.015}, {0.031}};
    const BlockedEffect e = blocked_effect(blocks);
    EXPECT_EQ(e.all.unit, Unit::blocks);
    EXPECT_EQ(e.all.replicates, 5u);
    EXPECT_NEAR(e.all.estimate, 1.491006230370371, 1e-9);
    EXPECT_NEAR(e.all.ci95.low, -0.10373713669029391, 1e-9);
    EXPECT_NEAR(e.all.ci95.high, 3.111208071390807, 1e-9);
    EXPECT_NEAR(e.all.ci90.low, 0.26426122963440707, 1e-8);
    EXPECT_NEAR(e.all.ci90.high, 2.732760600131496, 1e-8);
    EXPECT_NEAR(e.all.p_value, 0.060397139157981984, 1e-9);
    EXPECT_TRUE(e.flagged.empty());
}

// The mean of each block over its points, then across blocks: a point missing from a block counts in the
// others; the spread across points is each point's mean over its blocks.
TEST(Blocked, BlocksAverageTheirPointsAndPointsTheirBlocks) {
    const std::vector<std::vector<std::optional<double>>> blocks = {
        {0.10, 0.00}, {0.12, std::nullopt}, {0.08, 0.02}, {}};
    const BlockedEffect e = blocked_effect(blocks);
    EXPECT_EQ(e.all.replicates, 3u) << "the empty block is left out";
    EXPECT_NEAR(e.all.log_mean, (0.05 + 0.12 + 0.05) / 3, 1e-12);
    EXPECT_EQ(e.points, 2u);
    EXPECT_NEAR(e.point_max, 100 * std::expm1(0.10), 1e-9);
    EXPECT_NEAR(e.point_min, 100 * std::expm1(0.01), 1e-9);
    ASSERT_EQ(e.block_effects.size(), 4u);
    EXPECT_TRUE(std::isnan(e.block_effects[3]));
}

// A heatmap's cell asks for the estimate and intervals alone: they are blocked_effect's, over designs of one
// block or many, points missing, identical ratios and none at all; only the p-value is left out.
TEST(Blocked, TheIntervalAloneIsTheWholeEffectsEstimate) {
    std::mt19937 random(7);
    std::normal_distribution<double> noise(0.02, 0.03);
    std::uniform_int_distribution<int> blocks_of(0, 6), points_of(0, 5), missing(0, 4);
    for (int design = 0; design < 500; ++design) {
        std::vector<std::vector<std::optional<double>>> blocks(blocks_of(random));
        const int points = points_of(random);
        for (auto& block : blocks)
            for (int p = 0; p < points; ++p)
                block.push_back(missing(random) == 0 ? std::nullopt : std::optional(noise(random)));
        if (design % 50 == 0)
            for (auto& block : blocks) std::fill(block.begin(), block.end(), 0.01); // identical: no spread
        const BlockedEstimate whole = blocked_effect(blocks).all, alone = blocked_interval(blocks);
        SCOPED_TRACE(fmt::format("design {}: {} blocks of {} points", design, blocks.size(), points));
        EXPECT_EQ(alone.unit, whole.unit);
        EXPECT_EQ(alone.replicates, whole.replicates);
        EXPECT_EQ(alone.df, whole.df);
        EXPECT_EQ(alone.estimate, whole.estimate);
        EXPECT_EQ(alone.ci95.low, whole.ci95.low);
        EXPECT_EQ(alone.ci95.high, whole.ci95.high);
        EXPECT_EQ(alone.ci90.low, whole.ci90.low);
        EXPECT_EQ(alone.ci90.high, whole.ci90.high);
        if (whole.unit != Unit::none && whole.log_se > 0) EXPECT_TRUE(std::isnan(alone.p_value));
    }
}

// One block: the points are the replicates (and the report says so); one block of one point: no interval.
TEST(Blocked, OneBlockFallsBackToPointsAndOneValueToNone) {
    const BlockedEffect points = blocked_effect({{0.01, 0.03, 0.02}});
    EXPECT_EQ(points.all.unit, Unit::points);
    EXPECT_EQ(points.all.replicates, 3u);
    EXPECT_LT(points.all.ci95.low, points.all.estimate);
    const BlockedEffect single = blocked_effect({{0.05}});
    EXPECT_EQ(single.all.unit, Unit::none);
    EXPECT_NEAR(single.all.estimate, 100 * std::expm1(0.05), 1e-9);
    EXPECT_EQ(single.all.ci95.low, single.all.ci95.high);
}

// Three quiet rounds around +1 % and one disturbed by -30 %: the disturbed one is flagged, and the estimate
// without it is the quiet rounds' own.
TEST(Blocked, ADisturbedBlockIsFlaggedAndLeftOutOfTheSecondEstimate) {
    const std::vector<std::vector<std::optional<double>>> blocks = {
        {std::log(0.70)}, {std::log(1.012)}, {std::log(1.008)}, {std::log(1.011)}, {std::log(1.009)}};
    const BlockedEffect e = blocked_effect(blocks);
    ASSERT_EQ(e.flagged, (std::vector<size_t>{0}));
    ASSERT_TRUE(e.without_flagged.has_value());
    EXPECT_EQ(e.without_flagged->replicates, 4u);
    EXPECT_NEAR(e.without_flagged->estimate, 1.0, 0.05);
    EXPECT_GT(e.all.ci95.high - e.all.ci95.low, 10.0) << "the disturbed round widens the interval of all";
    // Rounds that differ by less than the floor of the spread are not flagged.
    const BlockedEffect quiet = blocked_effect({{0.0}, {0.0}, {0.0}, {0.004}});
    EXPECT_TRUE(quiet.flagged.empty());
}

TEST(Blocked, BlocksNeededShrinkTheIntervalToTheTarget) {
    const BlockedEffect e = blocked_effect({{0.012}, {0.020}, {-0.004}, {0.015}, {0.031}});
    const auto needed = replicates_needed(e.all, std::fabs(e.all.log_mean));
    ASSERT_TRUE(needed.has_value());
    // With that many blocks of the same spread, the 95 % half-width is at most the target.
    const double sd = e.all.log_se * std::sqrt(5.0);
    EXPECT_LE(student_t_critical(0.95, static_cast<double>(*needed - 1)) * sd / std::sqrt(static_cast<double>(*needed)),
              std::fabs(e.all.log_mean) + 1e-12);
    EXPECT_GT(*needed, 5u);
    EXPECT_FALSE(replicates_needed(blocked_effect({{0.05}}).all, 0.01).has_value());
}

// Group-sequential levels against the published two-look designs at alpha 0.05, equal information (Jennison
// and Turnbull 2000, tables 2.1 and 2.3: Pocock's nominal 0.0294 at both looks; O'Brien and Fleming's 0.0052,
// then 0.0480). With 50 replicates per look the t statistics are all but normal.
TEST(Sequential, TwoLooksMatchPocockAndOBrienFleming) {
    // Only the first and the last look spend anything here.
    std::vector<double> spent(51, 0.0294);
    spent.back() = 0.05;
    const auto two = sequential_t_levels(50, 100, spent);
    EXPECT_NEAR(two.front(), 0.0294, 0.001);
    EXPECT_NEAR(two.back(), 0.0294, 0.003) << "Pocock";
    for (size_t k = 1; k + 1 < two.size(); ++k) EXPECT_EQ(two[k], 0) << "a look that spends nothing never stops";
    std::vector<double> obf(51, 0.0052);
    obf.back() = 0.05;
    const auto levels = sequential_t_levels(50, 100, obf);
    EXPECT_NEAR(levels.front(), 0.0052, 0.0005);
    EXPECT_NEAR(levels.back(), 0.0480, 0.003) << "O'Brien-Fleming";
}

// One look is a plain t test; more looks each test below alpha, and the same design gets the same levels.
TEST(Sequential, OneLookIsAlphaAndLooksShareIt) {
    EXPECT_NEAR(sequential_t_levels(5, 5, {0.05}).front(), 0.05, 0.002);
    const std::vector<double> spent = {0.0045, 0.008, 0.0125, 0.018, 0.0245, 0.032, 0.0405, 0.05};
    const auto levels = sequential_t_levels(3, 10, spent);
    ASSERT_EQ(levels.size(), 8u);
    for (double level : levels) {
        EXPECT_GT(level, 0);
        EXPECT_LT(level, 0.05);
    }
    EXPECT_NEAR(levels.front(), 0.0045, 0.0005) << "the first look spends its share alone";
    EXPECT_EQ(levels, sequential_t_levels(3, 10, spent)) << "seeded";
    EXPECT_THROW(sequential_t_levels(1, 10, std::vector<double>(10, 0.05)), std::invalid_argument);
}

} // namespace
} // namespace llmsweep::stats

namespace llmsweep {
namespace {

// Welch's interval against SciPy 1.10 on fixed data: d = mean(x) - mean(y), df by Welch-Satterthwaite, and
// d -+ scipy.stats.t.ppf(0.975, df) * se (the t statistic d / se is scipy.stats.ttest_ind(equal_var=False)'s).
TEST(Welch, IntervalMatchesScipy) {
    const std::vector<double> a = {3.1, 2.9, 3.4, 3.0, 3.3}, b = {2.2, 2.8, 2.1};
    const stats::WelchInterval w = stats::welch_interval(a, b, 0.95);
    EXPECT_NEAR(w.difference, 0.773333333333333, 1e-12);
    EXPECT_NEAR(w.df, 2.740405432001575, 1e-9);
    EXPECT_NEAR(w.low, -0.02446077338891406, 1e-9);
    EXPECT_NEAR(w.high, 1.5711274400555801, 1e-9);
    EXPECT_NEAR(w.difference / ((w.high - w.low) / 2 / stats::student_t_critical(0.95, w.df)), 3.2569624642442925,
                1e-9); // ttest_ind's statistic
    // Log speeds, as the single-stream comparison uses them.
    std::vector<double> x = {101.2, 98.7, 103.4, 99.9}, y = {110.5, 108.1, 112.9};
    for (double& v : x) v = std::log(v);
    for (double& v : y) v = std::log(v);
    const stats::WelchInterval l = stats::welch_interval(x, y, 0.95);
    EXPECT_NEAR(l.difference, -0.09186865116411891, 1e-12);
    EXPECT_NEAR(l.df, 4.200249837926453, 1e-9);
    EXPECT_NEAR(l.low, -0.13549321697041578, 1e-9);
    EXPECT_NEAR(l.high, -0.048244085357822056, 1e-9);
}

} // namespace

// --- Change points ----------------------------------------------------------------------------------------------

// The largest two-sample t between a stretch of `x` and the rest, computed directly (no prefix sums).
double stretch_t(const std::vector<double>& x) {
    double best = 0;
    const size_t n = x.size();
    for (size_t i = 0; i < n; ++i)
        for (size_t j = i + 1; j <= n; ++j) {
            if (j - i == n) continue;
            std::vector<double> in, out;
            for (size_t k = 0; k < n; ++k) (k >= i && k < j ? in : out).push_back(x[k]);
            const auto mean = [](const std::vector<double>& v) {
                double s = 0;
                for (double y : v) s += y;
                return s / static_cast<double>(v.size());
            };
            const double a = mean(in), b = mean(out);
            double within = 0;
            for (double y : in) within += (y - a) * (y - a);
            for (double y : out) within += (y - b) * (y - b);
            const double sd = std::sqrt(within / static_cast<double>(n - 2));
            best = std::max(best, std::fabs(a - b) / (sd * std::sqrt(1.0 / static_cast<double>(in.size()) +
                                                                     1.0 / static_cast<double>(out.size()))));
        }
    return best;
}

// The statistic is the stretch's t as a direct computation gives it, and its p-value is the share of simulated
// normal segments that reach it: for three levels the only stretches are one level against the other two, whose
// t has 1 degree of freedom; Boost's t distribution and the simulation agree.
TEST(ChangePoints, TheStatisticIsTheStretchsTAndItsPValueTheSimulatedOne) {
    const std::vector<double> levels = {0.00, 0.01, -0.005, 0.008, -0.10, -0.095, -0.11, -0.104};
    const auto found = stats::change_points(levels, {.alpha = 0.05, .simulations = 9999});
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].at, 4u);
    EXPECT_NEAR(found[0].statistic, stretch_t(levels), 1e-9 * stretch_t(levels));
    EXPECT_LT(found[0].p_value, 0.001);
    // Three levels: the p-value of t for the level most unlike the two others, as the maximum of three dependent
    // t statistics of 1 degree of freedom, simulated, lies between one t's tail and three times it.
    const std::vector<double> three = {0.0, 0.3, 1.0};
    const double t = stretch_t(three);
    const auto none = stats::change_points(three, {.alpha = 1.0, .simulations = 99999});
    ASSERT_FALSE(none.empty());
    const double one_tail = 2 * (0.5 - std::atan(t) / M_PI); // Student's t with 1 degree of freedom (Cauchy)
    EXPECT_GE(none[0].p_value, one_tail * 0.95);
    EXPECT_LE(none[0].p_value, 3 * one_tail * 1.05);
}

// Thirty builds of noise (3 % between runs): a false alarm in about alpha of the histories, never far above; a
// lasting step of 10 % in the middle is found, at its place, in nearly every one.
TEST(ChangePoints, NoiseRarelyAlarmsAndAStepIsFoundWhereItIs) {
    std::mt19937_64 rng(2024);
    std::normal_distribution<double> noise(0, 0.03);
    const size_t histories = 300;
    size_t alarms = 0, found_at_step = 0;
    for (size_t h = 0; h < histories; ++h) {
        std::vector<double> flat(30), stepped(30);
        for (size_t i = 0; i < 30; ++i) {
            flat[i] = noise(rng);
            stepped[i] = noise(rng) + (i >= 15 ? std::log(0.9) : 0.0);
        }
        const stats::ChangePointOptions options{.alpha = 0.05, .simulations = 199, .seed = h + 1};
        alarms += !stats::change_points(flat, options).empty();
        const auto steps = stats::change_points(stepped, options);
        found_at_step +=
            std::any_of(steps.begin(), steps.end(), [](const auto& c) { return c.at >= 14 && c.at <= 16; });
    }
    // 5 % of 300 is 15; a binomial count above 27 has probability below 0.001.
    EXPECT_LE(alarms, 27u);
    EXPECT_GE(found_at_step, histories * 95 / 100);
}

// One slow build among fast ones: two change points, on either side of it.
TEST(ChangePoints, ABuildThatSlowedAndRecoveredHasAStepOnEitherSide) {
    const std::vector<double> levels = {0.00, 0.01, -0.01, 0.005, -0.20, 0.00, -0.005, 0.01};
    const auto found = stats::change_points(levels);
    ASSERT_EQ(found.size(), 2u);
    EXPECT_EQ(found[0].at, 4u);
    EXPECT_EQ(found[1].at, 5u);
}

TEST(ChangePoints, TooShortFlatOrNonFiniteHistoriesHaveNone) {
    EXPECT_TRUE(stats::change_points(std::vector<double>{1.0, 0.5}).empty());
    EXPECT_TRUE(stats::change_points(std::vector<double>(10, 1.0)).empty());
    EXPECT_TRUE(stats::change_points(std::vector<double>{1, 1, 1, NAN, 0, 0, 0}).empty());
    // The same levels always give the same answer (the reorderings are drawn from a fixed seed).
    const std::vector<double> levels = {0, 0.01, -0.01, 0.02, -0.1, -0.09, -0.11, -0.1};
    const auto a = stats::change_points(levels), b = stats::change_points(levels);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(a[i].p_value, b[i].p_value);
}

} // namespace llmsweep
