#include "cli/progress.hpp"
#include "cli/format.hpp"

#include "core/escape.hpp"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>

namespace llmsweep::cli {
namespace {

using Clock = std::chrono::steady_clock;

std::string describe(const domain::Point& p) {
    // Server mode's slots and load, where they are not the defaults every other mode's points have.
    std::string serving;
    if (p.server.parallel != domain::ServerParams{}.parallel) serving += fmt::format(" np{}", p.server.parallel);
    if (p.client.open_loop()) serving += fmt::format(" {}/s", p.client.rate);
    else if (p.client.concurrency != 1) serving += fmt::format(" c{}", p.client.concurrency);
    return fmt::format("{} {} p{} n{}{}{}", escape::terminal(std::filesystem::path(p.load.model).filename().string()),
                       domain::name(p.load.load_mode), p.test.n_prompt, p.test.n_gen,
                       p.test.n_depth ? fmt::format(" d{}", p.test.n_depth) : "", serving);
}

std::string duration(double seconds) {
    const auto s = static_cast<int64_t>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
    if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
    return fmt::format("{}s", s);
}

class ProgressObserver : public sweep::SweepObserver {
public:
    explicit ProgressObserver(ProgressStyle style) : style_(style) {}
    ~ProgressObserver() override {
        if (style_ == ProgressStyle::bar && drawn_) say(stderr, "\r\033[K");
    }

    void on_start(const sweep::SweepStart& start) override {
        start_ = Clock::now();
        first_done_ = start.tasks_done;
        done_ = start.tasks_done;
        total_ = start.tasks_total;
        if (style_ == ProgressStyle::none) return;
        if (start.resumed)
            say(stderr, "resuming run {}: {} of {} measurements already stored\n", start.run_id,
                       start.tasks_done, start.tasks_total);
        else say(stderr, "run {}: {} measurements\n", start.run_id, start.tasks_total);
    }

    void on_task_start(const domain::Point& point, int64_t repetition) override {
        current_ = fmt::format("{} rep {}", describe(point), repetition + 1);
        if (style_ == ProgressStyle::bar) draw();
    }

    void on_task_done(const sweep::TaskDone& done) override {
        done_ = done.tasks_done;
        if (style_ == ProgressStyle::lines) {
            std::string figures;
            if (done.pp_ts) figures += fmt::format(" pp {:.1f} t/s", *done.pp_ts);
            if (done.tg_ts) figures += fmt::format(" tg {:.1f} t/s", *done.tg_ts);
            if (done.pg_ts) figures += fmt::format(" pg {:.1f} t/s", *done.pg_ts);
            if (done.serve_ts) figures += fmt::format(" serve {:.1f} t/s", *done.serve_ts);
            if (done.request_errors) figures += fmt::format(", {} requests failed", done.request_errors);
            if (done.status != "ok") figures = fmt::format(" {}: {}", done.status, escape::terminal(done.error));
            say(stderr, "[{}/{}] {} rep {}:{}\n", done_, total_, describe(*done.point), done.repetition + 1,
                       figures);
        } else if (style_ == ProgressStyle::bar) {
            if (done.status != "ok") {
                say(stderr, "\r\033[K{} rep {}: {}: {}\n", describe(*done.point), done.repetition + 1,
                           done.status, escape::terminal(done.error));
            }
            draw();
        }
    }

    void on_load_failed(const domain::LoadParams& load, const std::string& error) override {
        if (style_ == ProgressStyle::none) return;
        say(stderr, "{}load of {} ({}) failed: {}\n", style_ == ProgressStyle::bar ? "\r\033[K" : "",
                   escape::terminal(load.model), domain::name(load.load_mode), escape::terminal(error));
    }

    void on_measuring_machine(int64_t threads) override {
        if (style_ == ProgressStyle::none) return;
        say(stderr,
                   "measuring this machine's memory bandwidth and matrix multiplication with {} thread{} (once per "
                   "host, build and thread count; --no-roofline skips it)\n",
                   threads, threads == 1 ? "" : "s");
    }

    void on_round_added(const sweep::RoundAdded& added) override {
        total_ = added.tasks_total;
        if (style_ == ProgressStyle::none) return;
        say(stderr, "{}round {}: {} of {} points need another repetition\n",
                   style_ == ProgressStyle::bar ? "\r\033[K" : "", added.round + 1, added.points, added.points_total);
    }

private:
    void draw() {
        constexpr int width = 24;
        const double fraction = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
        const int filled = static_cast<int>(fraction * width);
        std::string eta = "--";
        const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
        if (done_ > first_done_)
            eta = duration(elapsed / static_cast<double>(done_ - first_done_) * static_cast<double>(total_ - done_));
        say(stderr, "\r\033[K[{}{}] {}/{} {:3.0f}% ETA {} | {}", std::string(filled, '#'),
                   std::string(width - filled, '.'), done_, total_, fraction * 100, eta, current_);
        drawn_ = true;
    }

    ProgressStyle style_;
    Clock::time_point start_ = Clock::now();
    size_t first_done_ = 0, done_ = 0, total_ = 0;
    std::string current_;
    bool drawn_ = false;
};

} // namespace

std::unique_ptr<sweep::SweepObserver> make_progress_observer(ProgressStyle style) {
    return std::make_unique<ProgressObserver>(style);
}

} // namespace llmsweep::cli
