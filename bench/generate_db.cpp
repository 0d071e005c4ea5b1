// Writes an llmsweep database of synthetic results for the report benchmark: two models, a two-valued
// compared parameter (load_mode none/mmap, mmap 1 % faster on pp), pp and tg, n_prompt x n_gen grids, five
// samples per result with a realistic spread (CV 2-5 %). Written through the store, as `run` writes.
//
//   llmsweep_generate_db OUT.db [RESULTS]     (default 1000000 results)

#include "store/store.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

int main(int argc, char** argv) {
    using namespace llmsweep;
    if (argc < 2) {
        fmt::print(stderr, "usage: {} OUT.db [RESULTS]\n", argv[0]);
        return 2;
    }
    const int64_t wanted = argc > 2 ? std::atoll(argv[2]) : 1'000'000;
    std::filesystem::remove(argv[1]);
    store::Store store(argv[1]);
    const int64_t run = store.insert_run({{"spec_key", std::string("generated")},
                                          {"status", std::string("finished")},
                                          {"started_at", store::utc_now()},
                                          {"mode", std::string("request")},
                                          {"sweep_order", std::string("rounds")},
                                          {"seed", int64_t{1}},
                                          {"repetitions", int64_t{5}},
                                          {"warmup", int64_t{1}},
                                          {"spec_json", std::string("{}")},
                                          {"llmsweep_version", std::string("bench")},
                                          {"build_commit", std::string("80fb11a")},
                                          {"cpu_info", std::string("synthetic")}});

    // 2 models x 2 load modes x 2 metrics share each (n_prompt, n_gen): points = wanted / 8.
    const int64_t points = std::max<int64_t>(1, wanted / 8);
    const auto n_gen_count = static_cast<int64_t>(std::sqrt(static_cast<double>(points) / 2));
    const int64_t n_prompt_count = (points + n_gen_count - 1) / n_gen_count;
    std::mt19937_64 rng(42);
    std::normal_distribution<double> noise(0.0, 1.0);
    int64_t written = 0;
    store::Transaction tx(store.db());
    for (const std::string model : {"qwen2_5_0_5b.gguf", "smolvlm2_256m.gguf"})
        for (const std::string mode : {"none", "mmap"})
            for (int64_t i = 0; i < n_prompt_count && written < wanted; ++i)
                for (int64_t j = 0; j < n_gen_count && written < wanted; ++j)
                    for (const std::string metric : {"pp", "tg"}) {
                        const int64_t n_prompt = 16 + 4 * i, n_gen = 8 + 2 * j;
                        const double base = (model[0] == 'q' ? 1.0 : 2.2) *
                                            (metric == "pp" ? 80.0 * (1 + 0.15 * std::log1p(n_prompt / 64.0))
                                                            : 28.0 / (1 + n_prompt / 4096.0));
                        const double effect = mode == "mmap" && metric == "pp" ? 1.01 : 1.0;
                        const double cv = 0.02 + 0.03 * std::abs(std::sin(static_cast<double>(i + j)));
                        const std::string key = fmt::format("{}|{}|{}|{}", model, mode, n_prompt, n_gen);
                        llmsweep::domain::Point point;
                        point.load.model = model;
                        point.load.load_mode = llmsweep::domain::parse_load_mode(mode);
                        point.load.n_gpu_layers = 0;
                        point.context.threads = 2;
                        point.test = {n_prompt, n_gen, 0};
                        const int64_t id = store.ensure_result(
                            run, key, metric, store::point_columns(point, llmsweep::domain::Mode::request));
                        const int64_t tokens = metric == "pp" ? n_prompt : n_gen;
                        for (int64_t rep = 0; rep < 5; ++rep) {
                            const double ts = base * effect * (1 + cv * noise(rng));
                            store.insert_sample({{"result_id", id},
                                                 {"repetition", rep},
                                                 {"ns", static_cast<int64_t>(tokens * 1e9 / ts)},
                                                 {"ts", ts}});
                        }
                        store.summarize_result(id, "ok", store::utc_now());
                        ++written;
                    }
    tx.commit();
    fmt::print("wrote {} results ({} samples) to {}\n", written, written * 5, argv[1]);
    return 0;
}
