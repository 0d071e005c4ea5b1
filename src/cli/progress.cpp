#include "cli/progress.hpp"
#include "cli/format.hpp"

#include "core/escape.hpp"
#include "domain/knobs.hpp"
#include "domain/model_names.hpp"
#include "domain/parameter_names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>

namespace llmsweep::cli {
namespace {

using Clock = std::chrono::steady_clock;

// One setting of a point as a progress line shows it ("t2", "fa=on").
struct Shown {
    std::function<std::string(const domain::Point&)> text;
};

// Every setting a point has besides its test sizes, each as it is shown.
std::vector<Shown> all_settings(const std::map<std::string, std::string>& model_names) {
    const auto tagged = [](std::string tag, auto value) {
        return Shown{[tag, value](const domain::Point& p) { return tag + value(p); }};
    };
    std::vector<Shown> all = {{[model_names](const domain::Point& p) { return model_names.at(p.load.model); }}};
    // The load mode bare (mmap) and the threads as llama-bench's flag has them (t2), the other knobs by their key
    // tags (cache=cold, fa=on), server mode's by name (its key tags are terse: c, np); the llama-bench binary
    // after the cache state.
    for (const domain::Knob& knob : domain::knobs()) {
        const std::string tag = knob.name == param::load_mode ? ""
                                : knob.name == param::n_threads
                                    ? "t"
                                    : fmt::format("{}=", knob.of_server_mode() ? knob.name : knob.key_tag);
        all.push_back(tagged(tag, [&knob](const domain::Point& p) { return knob.text(p); }));
        if (knob.name == param::cache_state)
            all.push_back(tagged("", [](const domain::Point& p) {
                return std::filesystem::path(p.load.llama_bench).filename().string();
            }));
    }
    all.push_back(tagged("", [](const domain::Point& p) {
        return p.client.open_loop() ? fmt::format("{}/s", p.client.rate) : fmt::format("c{}", p.client.concurrency);
    }));
    return all;
}

// A progress line's name of a point: its model, each setting the sweep has several values of, and its test; every
// value escaped for the terminal (a file name, a tensor override's pattern).
class Describer {
public:
    explicit Describer(const std::vector<domain::Point>& points) {
        std::vector<std::string> paths;
        for (const auto& p : points) paths.push_back(p.load.model);
        const auto all = all_settings(domain::short_model_names(paths));
        for (size_t i = 0; i < all.size(); ++i) {
            const bool swept = std::any_of(points.begin(), points.end(), [&](const domain::Point& p) {
                return all[i].text(p) != all[i].text(points.front());
            });
            if (i == 0 || swept) shown_.push_back(all[i]); // the model always
        }
    }

    std::string operator()(const domain::Point& p) const {
        std::string text;
        for (const Shown& s : shown_) text += (text.empty() ? "" : " ") + escape::terminal(s.text(p));
        return fmt::format("{} p{} n{}{}", text, p.test.n_prompt, p.test.n_gen,
                           p.test.n_depth ? fmt::format(" d{}", p.test.n_depth) : "");
    }

private:
    std::vector<Shown> shown_;
};

std::string duration(double seconds) {
    const auto s = static_cast<int64_t>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}h{:02d}m", s / 3600, (s % 3600) / 60);
    if (s >= 60) return fmt::format("{}m{:02d}s", s / 60, s % 60);
    return fmt::format("{}s", s);
}

class ProgressObserver : public sweep::SweepObserver {
public:
    ProgressObserver(ProgressStyle style, const sweep::Plan& plan) : style_(style), describe(plan.points) {}
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
            say(stderr, "resuming run {}: {} of {} measurements already stored\n", start.run_id, start.tasks_done,
                start.tasks_total);
        else say(stderr, "run {}: {} measurements\n", start.run_id, start.tasks_total);
    }

    void on_task_start(const domain::Point& point, int64_t repetition) override {
        current_ = fmt::format("{} rep {}", describe(point), repetition + 1);
        if (style_ == ProgressStyle::bar) draw();
    }

    void on_task_done(const sweep::TaskDone& done) override {
        done_ = done.tasks_done;
        if (style_ == ProgressStyle::none) return;
        // Each measurement's figures as they come, on a terminal too (above the bar, which is drawn again).
        std::string figures;
        if (done.pp_ts) figures += fmt::format(" pp {:.1f} t/s", *done.pp_ts);
        if (done.tg_ts) figures += fmt::format(" tg {:.1f} t/s", *done.tg_ts);
        if (done.pg_ts) figures += fmt::format(" pg {:.1f} t/s", *done.pg_ts);
        if (done.serve_ts) figures += fmt::format(" serve {:.1f} t/s", *done.serve_ts);
        if (done.request_errors) figures += fmt::format(", {} requests failed", done.request_errors);
        if (done.status != "ok") figures = fmt::format(" {}: {}", done.status, escape::terminal(done.error));
        say(stderr, "{}[{}/{}] {} rep {}:{}\n", style_ == ProgressStyle::bar ? "\r\033[K" : "", done_, total_,
            describe(*done.point), done.repetition + 1, figures);
        if (style_ == ProgressStyle::bar) draw();
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
    Describer describe;
    Clock::time_point start_ = Clock::now();
    size_t first_done_ = 0, done_ = 0, total_ = 0;
    std::string current_;
    bool drawn_ = false;
};

} // namespace

std::unique_ptr<sweep::SweepObserver> make_progress_observer(ProgressStyle style, const sweep::Plan& plan) {
    return std::make_unique<ProgressObserver>(style, plan);
}

} // namespace llmsweep::cli
