#include "stats/tests.hpp"

#include "stats/descriptive.hpp"

#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <stdexcept>

namespace llmsweep::stats {
namespace {

std::vector<double> differences(std::span<const double> x, std::span<const double> y) {
    if (x.size() != y.size()) throw std::invalid_argument("paired samples must have the same length");
    std::vector<double> d(x.size());
    for (size_t i = 0; i < x.size(); ++i) d[i] = x[i] - y[i];
    return d;
}

// P(V <= v) under H0 for n pairs without ties: the number of subsets of {1..n} with rank sum <= v, over 2^n.
double exact_signed_rank_cdf(size_t n, double v) {
    const size_t max_sum = n * (n + 1) / 2;
    std::vector<double> ways(max_sum + 1, 0.0);
    ways[0] = 1.0;
    for (size_t rank = 1; rank <= n; ++rank)
        for (size_t s = max_sum; s >= rank; --s) ways[s] += ways[s - rank];
    double below = 0;
    for (size_t s = 0; s <= max_sum && static_cast<double>(s) <= v + 1e-9; ++s) below += ways[s];
    return below / std::ldexp(1.0, static_cast<int>(n));
}

} // namespace

TestResult paired_t_test(std::span<const double> x, std::span<const double> y) {
    const std::vector<double> d = differences(x, y);
    TestResult result;
    result.n = d.size();
    const MeanSd m = mean_sd(d);
    if (d.size() < 2 || m.sd == 0) return result; // no variation: no evidence either way
    const double df = static_cast<double>(d.size() - 1);
    result.statistic = m.mean / (m.sd / std::sqrt(static_cast<double>(d.size())));
    result.p_value = student_t_two_sided_p(result.statistic, df);
    return result;
}

TestResult wilcoxon_signed_rank(std::span<const double> x, std::span<const double> y) {
    std::vector<double> d;
    bool zeros = false;
    for (double v : differences(x, y)) {
        if (v != 0) d.push_back(v);
        else zeros = true;
    }
    TestResult result;
    result.n = d.size();
    if (d.empty()) return result;

    // Average ranks of |d|, and the ties correction term sum(t^3 - t).
    std::vector<size_t> order(d.size());
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return std::fabs(d[a]) < std::fabs(d[b]); });
    std::vector<double> rank(d.size());
    double ties = 0;
    for (size_t i = 0; i < order.size();) {
        size_t j = i;
        while (j + 1 < order.size() && std::fabs(d[order[j + 1]]) == std::fabs(d[order[i]])) ++j;
        const double average = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2;
        for (size_t k = i; k <= j; ++k) rank[order[k]] = average;
        const double t = static_cast<double>(j - i + 1);
        ties += t * t * t - t;
        i = j + 1;
    }
    double v = 0;
    for (size_t i = 0; i < d.size(); ++i)
        if (d[i] > 0) v += rank[i];
    result.statistic = v;

    const auto n = static_cast<double>(d.size());
    if (d.size() < 50 && ties == 0 && !zeros) {
        result.exact = true;
        // Two-sided: twice the smaller tail, as R computes it.
        const double p =
            v > n * (n + 1) / 4 ? 1 - exact_signed_rank_cdf(d.size(), v - 1) : exact_signed_rank_cdf(d.size(), v);
        result.p_value = std::min(1.0, 2 * p);
        return result;
    }
    const double mean = n * (n + 1) / 4;
    const double variance = n * (n + 1) * (2 * n + 1) / 24 - ties / 48;
    if (variance <= 0) return result;
    const double z_raw = v - mean;
    const double correction = z_raw > 0 ? 0.5 : (z_raw < 0 ? -0.5 : 0.0);
    const double z = (z_raw - correction) / std::sqrt(variance);
    const boost::math::normal standard;
    result.p_value = std::min(1.0, 2 * boost::math::cdf(boost::math::complement(standard, std::fabs(z))));
    return result;
}

std::vector<double> holm_adjust(std::span<const double> p) {
    const size_t m = p.size();
    std::vector<size_t> order(m);
    std::iota(order.begin(), order.end(), size_t{0});
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return p[a] < p[b]; });
    std::vector<double> adjusted(m);
    double running_max = 0;
    for (size_t i = 0; i < m; ++i) {
        running_max = std::max(running_max, static_cast<double>(m - i) * p[order[i]]);
        adjusted[order[i]] = std::min(1.0, running_max);
    }
    return adjusted;
}

WelchInterval welch_interval(std::span<const double> x, std::span<const double> y, double confidence) {
    const MeanSd a = mean_sd(x), b = mean_sd(y);
    const double nx = static_cast<double>(x.size()), ny = static_cast<double>(y.size());
    const double vx = a.sd * a.sd / nx, vy = b.sd * b.sd / ny;
    const double se = std::sqrt(vx + vy);
    const double df = (vx + vy) * (vx + vy) / (vx * vx / (nx - 1) + vy * vy / (ny - 1));
    const double half = student_t_critical(confidence, df) * se;
    const double difference = a.mean - b.mean;
    return {difference, difference - half, difference + half, df};
}

double student_t_two_sided_p(double t, double df) {
    // In double precision: Boost's default computes in long double, slower, for a p-value read to three
    // digits. (A heatmap's cells compute none: stats::blocked_interval.)
    using Policy = boost::math::policies::policy<boost::math::policies::promote_double<false>>;
    const boost::math::students_t_distribution<double, Policy> dist(df);
    return 2 * boost::math::cdf(boost::math::complement(dist, std::fabs(t)));
}

double student_t_critical(double confidence, double df) {
    // A report asks the same few (confidence, df) of every cell of a heatmap, a hundred thousand times: each
    // thread keeps what it computed.
    thread_local std::map<std::pair<double, double>, double> known;
    if (known.size() > 4096) known.clear(); // Welch's degrees of freedom are not whole: bounded
    const auto [it, added] = known.try_emplace({confidence, df});
    if (added) it->second = boost::math::quantile(boost::math::students_t(df), 0.5 + confidence / 2);
    return it->second;
}

} // namespace llmsweep::stats
