// How close to the machine's limit: a token's bytes and operations against hand-computed values (the formulas
// written out from the presets' shapes), the KV cache at depth, tied and untied embeddings, experts; the machine's
// roofs measured, kept and reused; the report's roofline section, chart and files, and --no-roofline.

#include "domain/model_cost.hpp"
#include "engine/machine.hpp"
#include "engine/model_profile.hpp"
#include "engine/system_info.hpp"
#include "run_fixture.hpp"
#include "sweep/roofline.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/mman.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <thread>

namespace llmsweep {
namespace {

using domain::AttentionShape;
using domain::ModelProfile;

// The tiny preset: 2 layers, n_embd 128, 4 heads of 32, 2 KV heads, n_ff 256, vocab 512; q8_0 matrices (34 bytes
// per 32 weights), f32 norms.
constexpr double L = 2, E = 128, H = 4, KV_HEADS = 2, D = 32, FF = 256, V = 512;
constexpr double KV = KV_HEADS * D;                                             // K and V widths: 64
constexpr double BLOCK_MATRICES = E * E + E * KV + E * KV + E * E + 3 * E * FF; // q, k, v, output; gate, up, down
constexpr double NORMS = L * 2 * E + E;                                         // two per block, and the output norm
constexpr double Q8 = 34.0 / 32.0;

class ModelCost : public RunTest {
protected:
    ModelProfile profile(const std::string& extra_flags, const std::string& name) {
        const auto path = *models_ / name;
        if (!fs::exists(path)) {
            const auto r = run_llmsweep("synth --preset tiny " + extra_flags + " -o " + shell_quote(path));
            EXPECT_EQ(r.exit_code, 0) << r.err;
        }
        const auto profile = engine::read_model_profile(path.string());
        EXPECT_TRUE(profile.has_value());
        return profile.value_or(ModelProfile{});
    }
};

// Tied embeddings: the token embedding is the output matrix too, so every token reads all of it and multiplies
// by it; nothing else is read but the blocks and the norms.
TEST_F(ModelCost, TiedEmbeddingsAreReadWholeAsTheOutputMatrix) {
    const ModelProfile p = profile("", "tiny.gguf");
    EXPECT_TRUE(p.tied_embeddings);
    EXPECT_EQ(p.weight_type, "q8_0");
    EXPECT_DOUBLE_EQ(p.matmul_params_per_token, L * BLOCK_MATRICES + V * E);
    EXPECT_DOUBLE_EQ(p.output_params, V * E);
    EXPECT_DOUBLE_EQ(p.weight_bytes_per_token, (L * BLOCK_MATRICES + V * E) * Q8 + NORMS * 4);
    EXPECT_EQ(p.weight_bytes, static_cast<uint64_t>(p.weight_bytes_per_token)) << "every byte, every token";
    EXPECT_EQ(p.shape.n_layer, 2);
    EXPECT_EQ(p.shape.n_head_kv, 2);
    EXPECT_EQ(p.shape.head_dim_k, 32);
}

// Untied: the token embedding is a lookup of one row per token; the output matrix is read and multiplied whole.
TEST_F(ModelCost, UntiedEmbeddingsReadOneRowOfTheTable) {
    const ModelProfile p = profile("--untied", "tiny-untied.gguf");
    EXPECT_FALSE(p.tied_embeddings);
    EXPECT_DOUBLE_EQ(p.matmul_params_per_token, L * BLOCK_MATRICES + V * E);
    const double table_bytes = V * E * Q8, row_bytes = E * Q8;
    EXPECT_DOUBLE_EQ(p.weight_bytes_per_token, L * BLOCK_MATRICES * Q8 + NORMS * 4 + table_bytes + row_bytes);
    EXPECT_EQ(p.weight_bytes, static_cast<uint64_t>(L * BLOCK_MATRICES * Q8 + NORMS * 4 + 2 * table_bytes));
}

// The KV cache at the point's context: layers x KV heads x (K and V head sizes at their types) per token of
// context, read by every generated token; attention's operations grow with it too.
TEST_F(ModelCost, TheKvCacheAtDepthIsReadPerGeneratedToken) {
    const ModelProfile p = profile("", "tiny.gguf");
    EXPECT_DOUBLE_EQ(domain::kv_bytes_per_token(p.shape, "f16", "f16"), L * KV_HEADS * (D * 2 + D * 2));
    EXPECT_DOUBLE_EQ(domain::kv_bytes_per_token(p.shape, "q8_0", "f16"), L * KV_HEADS * (D * Q8 + D * 2));
    // tg of 8 tokens after 100 of depth: on average 103.5 tokens before each, 104.5 attended.
    const double context = domain::mean_context(100, 8);
    EXPECT_DOUBLE_EQ(context, 103.5);
    const domain::TokenCost tg = domain::tg_cost(p, context, "f16", "f16");
    EXPECT_DOUBLE_EQ(tg.bytes, p.weight_bytes_per_token + L * KV_HEADS * 4 * D * 104.5);
    EXPECT_DOUBLE_EQ(tg.flops, 2 * (L * BLOCK_MATRICES + V * E) + 2 * L * H * (D + D) * 104.5);
    const domain::TokenCost at_zero = domain::tg_cost(p, domain::mean_context(0, 1), "f16", "f16");
    EXPECT_LT(at_zero.bytes, tg.bytes);
    EXPECT_DOUBLE_EQ(at_zero.bytes, p.weight_bytes_per_token + L * KV_HEADS * 4 * D);
}

// A prompt token: the same operations but the output matrix's (only the batch's last token goes through it),
// and the weights read once per batch.
TEST_F(ModelCost, PromptTokensShareTheWeightsOfTheirBatch) {
    const ModelProfile p = profile("", "tiny.gguf");
    const double context = domain::mean_context(0, 512); // 255.5
    const domain::TokenCost pp = domain::pp_cost(p, context, 512, "f16", "f16");
    EXPECT_DOUBLE_EQ(pp.flops, 2 * (L * BLOCK_MATRICES + V * E / 512) + 2 * L * H * (D + D) * 256.5);
    EXPECT_DOUBLE_EQ(pp.bytes, (p.weight_bytes_per_token + L * KV_HEADS * 4 * D * 256.5) / 512);
    EXPECT_GT(pp.intensity(), 100 * domain::tg_cost(p, context, "f16", "f16").intensity());
}

// A mixture of experts: a token goes through n_expert_used of n_expert experts of each layer, all of the rest.
TEST(ModelCostByHand, ExpertsCountByTheirUsedShare) {
    const AttentionShape shape{
        .n_layer = 1, .n_head = 2, .n_head_kv = 2, .head_dim_k = 8, .head_dim_v = 8, .n_expert = 8, .n_expert_used = 2};
    const std::vector<domain::TensorInfo> tensors = {
        {"token_embd.weight", "f16", 16, 100, 1600, 3200},
        {"blk.0.attn_q.weight", "f16", 16, 16, 256, 512},
        {"blk.0.ffn_gate_inp.weight", "f32", 16, 8, 128, 512},          // the router: every token
        {"blk.0.ffn_up_exps.weight", "f16", 16, 32, 16 * 32 * 8, 8192}, // 8 experts
        {"blk.0.ffn_down_exps.weight", "f16", 32, 16, 32 * 16 * 8, 8192},
        {"output_norm.weight", "f32", 16, 1, 16, 64},
        {"output.weight", "f16", 16, 100, 1600, 3200}};
    const ModelProfile p = domain::profile_of(tensors, shape);
    EXPECT_FALSE(p.tied_embeddings);
    EXPECT_EQ(p.weight_type, "f16");
    EXPECT_DOUBLE_EQ(p.matmul_params_per_token, 256 + 128 + 2.0 / 8 * (4096 + 4096) + 1600);
    EXPECT_DOUBLE_EQ(p.weight_bytes_per_token, 3200.0 / 100 + 512 + 512 + 2.0 / 8 * (8192 + 8192) + 64 + 3200);
    // Round trip through the store's JSON.
    const ModelProfile back = domain::profile_from_json(nlohmann::json::parse(domain::to_json(p).dump()));
    EXPECT_DOUBLE_EQ(back.weight_bytes_per_token, p.weight_bytes_per_token);
    EXPECT_EQ(back.shape.n_expert_used, 2);
}

// The roofs: a measurement gives positive rates for every weight type asked, is kept in the cache folder, and the
// database has them after a sweep.
TEST_F(RunTest, TheMachineIsMeasuredOnceAndKept) {
    const auto r = run_llmsweep("run -m " + model() + " -p 16 -n 8 -r 2 -t 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM machines WHERE threads = 1 AND read_gbs > 0.1 AND triad_gbs > 0.1 AND "
                    "json_extract(matmul_gflops, '$.q8_0') > 0.1 AND json_extract(matmul_gflops, '$.f16') > 0.1"),
              1);
    EXPECT_EQ(count("SELECT count(*) FROM model_profiles WHERE weight_type = 'q8_0' AND "
                    "json_extract(profile_json, '$.n_layer') = 2"),
              1);
    // The same sweep again measures nothing more: the database has it.
    ASSERT_EQ(run_llmsweep("run -m " + model() + " -p 16 -n 8 -r 2 -t 1 -q --fresh" + db_arg()).exit_code, 0);
    EXPECT_EQ(count("SELECT count(*) FROM machines"), 1);
    // info shows what was measured, as numbers in JSON.
    const auto info = run_llmsweep("info --json -t 1");
    ASSERT_EQ(info.exit_code, 0) << info.err;
    const auto json = nlohmann::json::parse(info.out);
    ASSERT_EQ(json.at("machines").size(), 1u) << info.out;
    EXPECT_GT(json["machines"][0].at("read_gbs").get<double>(), 0.1);
    EXPECT_TRUE(json["machines"][0].at("matmul_gflops").at("q4_0").is_number());
}

// The report: the roofs, each value's share of them, the chart and the files; and without measurements, a note.
// llama.cpp repacks q4_0 weights for this CPU's kernels (CPU_REPACK), which multiply about twice as fast as the
// plain layout: the roof is the fastest buffer type a weight can live in, so that a model loaded as llama.cpp
// loads it is not far past it, and one loaded with -nr 1 reaches less of it.
TEST_F(RunTest, RepackedWeightsStayUnderTheComputeRoof) {
    const std::string q4 = shell_quote(dir_ / "smollm2-q4.gguf");
    ASSERT_EQ(run_llmsweep("synth --preset smollm2-135m --type q4_0 -o " + q4).exit_code, 0);
    const std::string env =
        "LLMSWEEP_CACHE_DIR=" + shell_quote(dir_ / "machine-cache") + " " + shell_quote(LLMSWEEP_BINARY);
    const auto swept = run_shell(env + " run -m " + q4 + " -nr 0,1 --mode split -p 64 -n 0 -r 2 -t 1 -q" + db_arg());
    ASSERT_EQ(swept.exit_code, 0) << swept.err;
    EXPECT_NE(text("SELECT matmul_buffers FROM machines"), "");
    const fs::path out = dir_ / "report";
    ASSERT_EQ(run_llmsweep("report --no-charts -o json --out " + shell_quote(out) + db_arg()).exit_code, 0);
    const auto groups = nlohmann::json::parse(test::read_file(out / "report.json")).at("roofline").at("groups");
    ASSERT_EQ(groups.size(), 2u) << groups.dump();
    double share_of[2] = {0, 0};
    for (const auto& g : groups) {
        // Measured in the plain layout alone, the roof put repacked q4_0 at 1.9 times it; cached matrices and a
        // busy host's noise may take a point a little past the roof, never half again.
        const double share = g.at("compute_share").get<double>();
        EXPECT_LT(share, 1.5) << g.dump();
        share_of[g.at("value") == "1" ? 1 : 0] = share;
    }
    if (text("SELECT model_buffers FROM loads").find("CPU_REPACK") == std::string::npos &&
        count("SELECT count(*) FROM loads WHERE model_buffers LIKE '%CPU_REPACK%'") == 0)
        GTEST_SKIP() << "this CPU's ggml repacks no q4_0 weights";
    EXPECT_GT(share_of[0], share_of[1]) << "repacked weights reach more of the roof than the file's layout";
}

TEST_F(RunTest, TheReportPlacesEveryPointUnderTheRoofs) {
    // A kernel that names a 32 MiB last-level cache (many virtual machines name none: LLMSWEEP_CPU_SYSFS stands
    // for /sys/devices/system/cpu), measured afresh into a cache folder of this test's.
    const fs::path sysfs = dir_ / "cpu";
    fs::create_directories(sysfs / "cpu0" / "cache" / "index3");
    std::ofstream(sysfs / "cpu0" / "cache" / "index3" / "level") << "3\n";
    std::ofstream(sysfs / "cpu0" / "cache" / "index3" / "type") << "Unified\n";
    std::ofstream(sysfs / "cpu0" / "cache" / "index3" / "size") << "32768K\n";
    const std::string env = "LLMSWEEP_CPU_SYSFS=" + shell_quote(sysfs) +
                            " LLMSWEEP_CACHE_DIR=" + shell_quote(dir_ / "machine-cache") + " " +
                            shell_quote(LLMSWEEP_BINARY);
    const auto swept = run_shell(env + " run -m " + model() + " --mmap 0,1 -p 16,32 -n 8 -r 2 -t 1 -q" + db_arg());
    ASSERT_EQ(swept.exit_code, 0) << swept.err;
    EXPECT_EQ(count("SELECT l3_bytes FROM machines"), 32 << 20);
    const fs::path out = dir_ / "report";
    const auto r = run_llmsweep("report --lang en --format md,csv,json --out " + shell_quote(out) + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::string md = test::read_file(out / "report.md");
    EXPECT_NE(md.find("## How close to the machine's limit"), std::string::npos);
    EXPECT_NE(md.find("| Threads | Read GB/s | Triad GB/s |"), std::string::npos) << md;
    EXPECT_NE(md.find("![Roofline, 1 threads](roofline_1_threads.png)"), std::string::npos) << md;
    EXPECT_TRUE(fs::file_size(out / "roofline_1_threads.png") > 1000);
    const auto report = nlohmann::json::parse(test::read_file(out / "report.json"));
    const auto& groups = report.at("roofline").at("groups");
    ASSERT_EQ(groups.size(), 4u) << "pp and tg of each load mode";
    for (const auto& g : groups) {
        const double share = g.at(g.at("metric") == "tg" ? "bandwidth_share" : "compute_share").get<double>();
        EXPECT_GT(share, 0.0) << g.dump();
        // A fraction: a small model's matrices, which stay in the caches, and a busy host's noise may take a point a
        // little past a roof measured on a 4096 x 4096 weight, never half again.
        EXPECT_LT(share, 1.5) << g.dump();
        EXPECT_GT(g.at("roof_gbs").get<double>(), 0.0);
    }
    // roofline.csv: a row per point (2 models' worth: 2 load modes x 2 prompts x pp and tg), its cost per token
    // as the model's formulas give it.
    const std::string csv = test::read_file(out / "roofline.csv");
    EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 2 * 2 * 2);
    EXPECT_NE(csv.find("bytes_per_token,flop_per_token,flop_per_byte"), std::string::npos);
    // The tiny model's weights fit in any last-level cache: the report says its memory roof does not bind.
    EXPECT_NE(md.find("fit in the last-level cache for: tiny.gguf"), std::string::npos);

    const auto skipped = run_llmsweep("run -m " + model() + " -p 16 -n 8 -r 1 -t 1 -q --no-roofline --db " +
                                      shell_quote(dir_ / "none.db"));
    ASSERT_EQ(skipped.exit_code, 0) << skipped.err;
    const fs::path none = dir_ / "none";
    ASSERT_EQ(run_llmsweep("report --lang en --format md,csv --no-charts --out " + shell_quote(none) + " --db " +
                           shell_quote(dir_ / "none.db"))
                  .exit_code,
              0);
    EXPECT_NE(test::read_file(none / "report.md").find("No roofline: no run of these results measured"),
              std::string::npos);
    EXPECT_FALSE(fs::exists(none / "roofline.csv"));
}

// The test's own read loop: a sum of 64-bit words (no pair of repeats cancels, as a xor's would), compiled for the
// widest vectors the CPU has (one thread's rate depends on them).
__attribute__((target_clones("avx512f", "avx2", "default"))) uint64_t sum_words(const uint64_t* p, size_t n) {
    uint64_t sum = 0;
    for (size_t i = 0; i < n; ++i) sum += p[i];
    return sum;
}

// The roofs are what physics allows, measured with every core busy (the sweep's threads on every core, and a
// process spinning beside them) on a kernel that names no cache: one thread's read within 30 % of an independent
// loop's (the best plain read of 1 GiB, on huge pages and on small ones, timed by this test), n threads no more than
// n times one thread's, and the triad no more than twice the read rate. Caches the kernel does not name are unknown,
// not 0 B.
TEST(Roofs, AreWhatPhysicsAllowsWithEveryCoreBusy) {
    // The independent loop: the same amount of memory as llmsweep reads when no cache is named, in two buffers, one
    // the kernel may back with huge pages and one it may not (which reads faster depends on the machine: a hardware
    // prefetcher stops at a small page's end), each pass lasting 0.2 s at least.
    const size_t bytes = size_t{1} << 30, words = bytes / sizeof(uint64_t);
    std::vector<uint64_t*> buffers;
    for (const int advice : {MADV_HUGEPAGE, MADV_NOHUGEPAGE}) {
        void* mapped = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        ASSERT_NE(mapped, MAP_FAILED);
        madvise(mapped, bytes, advice);
        auto* p = static_cast<uint64_t*>(mapped);
        for (size_t i = 0; i < words; ++i) p[i] = i * 2654435761u + 1; // no two pages alike: none shared
        buffers.push_back(p);
    }
    uint64_t folded = 0;
    const auto loop = [&] {
        double best = 0;
        for (const uint64_t* p : buffers)
            for (int pass = 0; pass < 5; ++pass) {
                const auto begin = std::chrono::steady_clock::now();
                int repeats = 0;
                double s = 0;
                for (; s < 0.2; s = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count())
                    folded += sum_words(p, words), ++repeats;
                best = std::max(best, repeats * static_cast<double>(bytes) / s / 1e9);
            }
        return best;
    };

    TempDir dir;
    fs::create_directories(dir / "cpu"); // a kernel that names no cache
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const auto measure = [&](unsigned threads) {
        const auto r = run_shell("LLMSWEEP_CPU_SYSFS=" + shell_quote(dir / "cpu") +
                                 " LLMSWEEP_CACHE_DIR=" + shell_quote(dir / "cache") + " " +
                                 shell_quote(LLMSWEEP_BINARY) + " info --measure --json -t " + std::to_string(threads));
        EXPECT_EQ(r.exit_code, 0) << r.err;
        const auto json = nlohmann::json::parse(r.out, nullptr, false);
        return json.is_object() ? json.at("machines").at(0) : nlohmann::json::object();
    };
    // One thread against the loop, each measured right after the other: up to three times, since other work on the
    // machine (a spinner beside the suite) can slow either one pass; a measurement that is wrong is wrong each time.
    double independent = 0, one_read = 0;
    nlohmann::json one;
    std::string tries;
    for (int attempt = 0; attempt < 3; ++attempt) {
        const double before = loop();
        one = measure(1);
        ASSERT_TRUE(one.contains("read_gbs"));
        one_read = one["read_gbs"].get<double>();
        independent = std::max(before, loop()); // the loop's best on either side of llmsweep's
        tries += fmt::format(" llmsweep {:.1f} GB/s, the loop {:.1f} GB/s;", one_read, independent);
        if (std::fabs(one_read - independent) <= 0.3 * independent) break;
    }
    for (uint64_t* p : buffers) munmap(p, bytes);
    fmt::print("one thread:{}\n", tries);
    EXPECT_NE(folded, 1u); // the reads happened
    EXPECT_NEAR(one_read, independent, 0.3 * independent) << tries;
    // A spinning process beside n threads on n cores: the main thread of the measurement is woken late.
    const auto spinner = run_shell("sh -c 'while :; do :; done' >/dev/null 2>&1 & echo $!");
    const auto all = measure(cores);
    run_shell("kill " + spinner.out);
    ASSERT_TRUE(all.contains("read_gbs"));
    const double all_read = all["read_gbs"].get<double>();
    EXPECT_LE(all_read, 1.3 * cores * independent) << cores << " threads";
    EXPECT_LE(all["triad_gbs"].get<double>(), 2 * all_read);
    EXPECT_EQ(all["l3_bytes"], 0);
    EXPECT_GE(all["buffer_bytes"].get<double>(), double(size_t{1} << 30)) << "beyond any cache when none is named";
    const auto text = run_shell("LLMSWEEP_CACHE_DIR=" + shell_quote(dir / "cache") + " " +
                                shell_quote(LLMSWEEP_BINARY) + " info -t 1");
    EXPECT_NE(text.out.find("L1d unknown, L2 unknown, L3 unknown"), std::string::npos) << text.out;
}

// A dry run of a sweep never measured estimates its time from the roofline: the known figures of this machine (a
// cache folder holding made-up ones here) and the model's costs, at the typical shares of the roofs.
TEST_F(ModelCost, ADryRunEstimatesANewSweepFromTheRoofline) {
    const ModelProfile p = profile("", "tiny.gguf");
    domain::MachineFigures figures;
    figures.hostname = engine::host_info().hostname;
    figures.build_commit = engine::build_info().llama_commit;
    figures.threads = 1;
    figures.read_gbs = 0.001; // 1 MB/s and 1 MFLOP/s: slow enough for whole seconds
    figures.matmul_gflops = {{"q8_0", 0.001}};
    figures.matmul_buffers = "CPU";
    TempDir cache;
    std::ofstream(cache / "machines.json") << nlohmann::json::array({domain::to_json(figures)}).dump();
    const auto r =
        run_shell("LLMSWEEP_CACHE_DIR=" + shell_quote(cache.path()) + " " + shell_quote(LLMSWEEP_BINARY) + " run -m " +
                  model() + " --mode split -p 64 -n 16 -r 2 --warmup 1 -t 1 --dry-run" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // pp64 and tg16, each twice; 2 visits (rounds), each warming each point up once (pp's prompt, tg's one
    // token) on a new context, and starting a worker that loads the weights.
    const double pp =
        domain::seconds_at_roofs(64, domain::pp_cost(p, domain::mean_context(0, 64), 64, "f16", "f16"), 0.001, 0.001);
    const double tg =
        domain::seconds_at_roofs(16, domain::tg_cost(p, domain::mean_context(0, 16), "f16", "f16"), 0.001, 0.001);
    const double tg1 =
        domain::seconds_at_roofs(1, domain::tg_cost(p, domain::mean_context(0, 1), "f16", "f16"), 0.001, 0.001);
    const double expected =
        2 * (pp + tg) + 2 * (pp + tg1) + 2 * 2 * sweep::per_context_s +
        2 * (sweep::per_visit_s + static_cast<double>(p.weight_bytes) / sweep::load_read_bytes_per_s);
    EXPECT_NE(r.out.find(fmt::format("estimated time: about {:.0f} s from the roofline", expected)), std::string::npos)
        << r.out << " expected " << expected;
    EXPECT_NE(r.out.find("1 thread: read 0.0 GB/s"), std::string::npos) << "says which figures it used";
    // Without figures of this machine, it says the sweep measures them, after its points.
    const auto unknown = run_shell("LLMSWEEP_CACHE_DIR=" + shell_quote(dir_ / "empty") + " " +
                                   shell_quote(LLMSWEEP_BINARY) + " run -m " + model() + " -t 1 --dry-run" + db_arg());
    EXPECT_NE(unknown.out.find("the sweep measures them after its last point"), std::string::npos) << unknown.out;
}

// Imported results use a measurement of the same host stored in their database (info --measure --db).
TEST_F(LlamaBenchEngineTest, ImportedResultsUseAStoredMeasurementOfTheirHost) {
    const std::string file = shell_quote(dir_ / "lb.jsonl");
    ASSERT_EQ(run_shell(shell_quote(LLMSWEEP_LLAMA_BENCH) + " -m " + model() + " -p 16 -n 8 -r 2 -t 1 -o jsonl > " +
                        file + " 2>/dev/null")
                  .exit_code,
              0);
    ASSERT_EQ(run_llmsweep("import " + file + db_arg()).exit_code, 0);
    const fs::path before = dir_ / "before";
    ASSERT_EQ(
        run_llmsweep("report --lang en --format md --no-charts --out " + shell_quote(before) + db_arg()).exit_code, 0);
    EXPECT_NE(test::read_file(before / "report.md").find("No measurement of the machine for"), std::string::npos)
        << "the model's cost is known, but no roof";
    ASSERT_EQ(run_llmsweep("info --measure -t 1" + db_arg()).exit_code, 0);
    const fs::path after = dir_ / "after";
    ASSERT_EQ(
        run_llmsweep("report --lang en --format json --no-charts --out " + shell_quote(after) + db_arg()).exit_code, 0);
    const auto report = nlohmann::json::parse(test::read_file(after / "report.json"));
    EXPECT_EQ(report.at("roofline").at("groups").size(), 2u) << report.at("roofline").dump();

    // The same results as a GPU build reports them (a GPU named, every layer offloaded, as llama-bench's default
    // -ngl -1 does there): the CPU's roofs do not bound them, and the report leaves them out and says why rather
    // than showing shares of thousands of percent.
    std::string lines = test::read_file(dir_ / "lb.jsonl");
    for (size_t at = 0; (at = lines.find("\"gpu_info\": \"\"", at)) != std::string::npos;)
        lines.replace(at, 14, "\"gpu_info\": \"NVIDIA H200\"");
    std::ofstream(dir_ / "gpu.jsonl") << lines;
    const std::string gpu_db = " --db " + shell_quote(dir_ / "gpu.db");
    ASSERT_EQ(run_llmsweep("import " + shell_quote(dir_ / "gpu.jsonl") + gpu_db).exit_code, 0);
    ASSERT_EQ(run_llmsweep("info --measure -t 1" + gpu_db).exit_code, 0);
    const fs::path gpu = dir_ / "gpu";
    ASSERT_EQ(
        run_llmsweep("report --lang en --format md,json --no-charts --out " + shell_quote(gpu) + gpu_db).exit_code, 0);
    const auto offloaded = nlohmann::json::parse(test::read_file(gpu / "report.json")).at("roofline");
    EXPECT_TRUE(offloaded.at("groups").empty()) << offloaded.dump();
    EXPECT_EQ(offloaded.at("offloaded").size(), 2u) << offloaded.dump();
    EXPECT_NE(test::read_file(gpu / "report.md").find("as their work ran on a GPU"), std::string::npos);
}

} // namespace
} // namespace llmsweep
