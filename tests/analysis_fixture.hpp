#pragma once
// The analysis tests' database: results and samples written through the store, with effects known in advance
// (analysis_test.cpp compares and judges them, dataset_test.cpp reads them back).

#include "analysis/comparison.hpp"
#include "analysis/dataset.hpp"
#include "core/error.hpp"
#include "domain/point.hpp"
#include "stats/blocked.hpp"
#include "stats/tests.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <optional>
#include <random>
#include <set>

namespace llmsweep::analysis {

// A record's samples as (repetition, t/s), in the order the dataset holds them.
inline std::vector<std::pair<int32_t, float>> repetitions_of(const Dataset& data, const Record& r) {
    std::vector<std::pair<int32_t, float>> out;
    for (const Sample& s : data.samples_of(r)) out.emplace_back(s.repetition, s.ts);
    return out;
}

// A database written through the store, with effects known in advance.
class AnalysisTest : public ::testing::Test {
protected:
    AnalysisTest() : store((dir / "a.db").string()) { run_id = test::insert_test_run(store); }

    void add(const std::string& model, const std::string& metric, const std::string& load_mode, int64_t n_prompt,
             int64_t n_gen, double ts, const std::string& status = "ok") {
        const std::string key = model + load_mode + std::to_string(n_prompt) + "/" + std::to_string(n_gen);
        const int64_t id =
            store.ensure_result(run_id, key, metric, test::point_row("/models/" + model, load_mode, n_prompt, n_gen));
        store.update_result(
            id, {{"avg_ts", ts}, {"stddev_ts", ts * 0.02}, {"repetitions", int64_t{3}}, {"status", status}});
    }

    // One point of one.gguf at each load mode, a sample per round: the round's level, times `mmap_factor(round)`
    // at mmap.
    template <typename Factor>
    void add_rounds(const std::vector<double>& round_level, Factor mmap_factor) {
        for (const std::string mode : {"none", "mmap"}) {
            const int64_t id =
                store.ensure_result(run_id, "p-" + mode, "tg", test::point_row("/models/one.gguf", mode, 512, 128));
            for (size_t r = 0; r < round_level.size(); ++r)
                store.insert_sample({{"result_id", id},
                                     {"repetition", static_cast<int64_t>(r)},
                                     {"ns", int64_t{1000}},
                                     {"ts", 40.0 * round_level[r] * (mode == "mmap" ? mmap_factor(r) : 1.0)}});
            store.summarize_result(id, "ok", "2026-01-01T00:00:00Z");
        }
    }

    // 16 points per load mode for a.gguf: pp 10 % faster with mmap, tg the same; b.gguf only 4 points.
    void fill() {
        int i = 0;
        for (int64_t p = 64; p <= 512; p += 64)
            for (int64_t g : {32, 64}) {
                const double wobble = 1.0 + 0.004 * std::sin(i++ * 1.7); // deterministic, small, both signs
                add("a.gguf", "pp", "none", p, g, 400.0 * wobble);
                add("a.gguf", "pp", "mmap", p, g, 440.0 / wobble);
                add("a.gguf", "tg", "none", p, g, 60.0 * wobble);
                add("a.gguf", "tg", "mmap", p, g, 60.0 * (1.0 + 0.004 * std::cos(i * 2.3)));
            }
        for (int64_t p : {64, 128, 192, 256}) {
            add("b.gguf", "pp", "none", p, 32, 900.0);
            add("b.gguf", "pp", "mmap", p, 32, 990.0);
        }
    }

    test::TempDir dir;
    store::Store store;
    int64_t run_id = 0;
};

} // namespace llmsweep::analysis
