// llmsweep history: builds imported as llama-bench's files, each run with a shift of its own and repetition noise
// drawn from a fixed seed, with a slowdown placed at a known build. The change points are found there and nowhere
// else; a history of noise alone has none; --fail-on regression stops on the slowdown, naming the builds; names
// from the files reach the terminal and the files escaped.

#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>

namespace llmsweep {
namespace {

using test::shell_quote;
namespace fs = std::filesystem;

// One run of a build as llama-bench writes it with -o jsonl: pp512 and tg128, five repetitions each, at
// `factor` times the base speed, with a run-to-run shift of 1 % and repetition noise of 1 %.
void write_run(const fs::path& path, const std::string& commit, int number, int day, double factor,
               std::mt19937_64& rng) {
    std::normal_distribution<double> shift(0, 0.01), noise(0, 0.01);
    const double run = std::exp(shift(rng));
    std::ofstream out(path);
    for (const auto& [n_prompt, n_gen, speed] : {std::tuple{512, 0, 500.0}, std::tuple{0, 128, 40.0}}) {
        std::vector<double> ts;
        std::vector<int64_t> ns;
        for (int r = 0; r < 5; ++r) {
            ts.push_back(speed * factor * run * std::exp(noise(rng)));
            ns.push_back(static_cast<int64_t>(1e9 * (n_prompt + n_gen) / ts.back()));
        }
        const double mean_ts = (ts[0] + ts[1] + ts[2] + ts[3] + ts[4]) / 5;
        const int64_t mean_ns = (ns[0] + ns[1] + ns[2] + ns[3] + ns[4]) / 5;
        const nlohmann::json test = {{"build_commit", commit},
                                     {"build_number", number},
                                     {"cpu_info", "Xeon"},
                                     {"gpu_info", ""},
                                     {"backends", "CPU"},
                                     {"model_filename", "m.gguf"},
                                     {"model_type", "llama ?B Q8_0"},
                                     {"model_size", 385536},
                                     {"model_n_params", 361088},
                                     {"n_batch", 2048},
                                     {"n_ubatch", 512},
                                     {"n_threads", 2},
                                     {"cpu_mask", "0x0"},
                                     {"cpu_strict", false},
                                     {"poll", 50},
                                     {"type_k", "f16"},
                                     {"type_v", "f16"},
                                     {"n_gpu_layers", 99},
                                     {"n_cpu_moe", 0},
                                     {"split_mode", "layer"},
                                     {"main_gpu", 0},
                                     {"no_kv_offload", false},
                                     {"flash_attn", -1},
                                     {"devices", "auto"},
                                     {"tensor_split", "0.00"},
                                     {"tensor_buft_overrides", "none"},
                                     {"load_mode", "auto"},
                                     {"lazy_mode", "auto"},
                                     {"embeddings", false},
                                     {"no_op_offload", 0},
                                     {"no_host", false},
                                     {"fit_target", 0},
                                     {"fit_min_ctx", 0},
                                     {"n_prompt", n_prompt},
                                     {"n_gen", n_gen},
                                     {"n_depth", 0},
                                     {"test_time", fmt::format("2026-11-{:02d}T10:00:00Z", day)},
                                     {"avg_ns", mean_ns},
                                     {"stddev_ns", 0},
                                     {"avg_ts", mean_ts},
                                     {"stddev_ts", 0},
                                     {"samples_ns", ns},
                                     {"samples_ts", ts}};
        out << test.dump() << "\n";
    }
}

// Eight builds, two runs each, build i at speed factors[i]; imported into DIR/h.db.
fs::path history_of(const fs::path& dir, const std::vector<double>& factors, const std::vector<std::string>& commits,
                    uint64_t seed) {
    std::mt19937_64 rng(seed);
    const fs::path db = dir / "h.db";
    for (size_t b = 0; b < factors.size(); ++b)
        for (int r = 0; r < 2; ++r) {
            const fs::path file = dir / fmt::format("b{}-{}.jsonl", b, r);
            write_run(file, commits[b], 7000 + static_cast<int>(b), 1 + static_cast<int>(b), factors[b], rng);
            const auto imported = test::run_llmsweep("import --db " + shell_quote(db) + " " + shell_quote(file));
            EXPECT_EQ(imported.exit_code, 0) << imported.err;
        }
    return db;
}

std::vector<std::string> commits_of(size_t n) {
    std::vector<std::string> commits;
    for (size_t i = 0; i < n; ++i) commits.push_back(fmt::format("c0ffee{}", i));
    return commits;
}

nlohmann::json history_json(const fs::path& db, const fs::path& out, const std::string& more = "") {
    const auto r =
        test::run_llmsweep("history --db " + shell_quote(db) + " --no-charts --out " + shell_quote(out) + more);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(test::read_file(out / "history.json"));
}

TEST(History, ASlowBuildAmongFastOnesIsFoundThereAndNowhereElse) {
    test::TempDir dir;
    std::vector<double> factors(8, 1.0);
    factors[4] = 0.75; // the fifth build is a quarter slower; the sixth is fast again
    const auto commits = commits_of(8);
    const nlohmann::json h = history_json(history_of(dir.path(), factors, commits, 1), dir.path() / "out");
    ASSERT_EQ(h["series"].size(), 2u); // pp and tg
    for (const auto& series : h["series"]) {
        ASSERT_EQ(series["builds"].size(), 8u);
        EXPECT_EQ(series["builds"][4]["build_commit"], commits[4]);
        ASSERT_EQ(series["steps"].size(), 2u) << series.dump();
        EXPECT_EQ(series["steps"][0]["from"], commits[3]);
        EXPECT_EQ(series["steps"][0]["to"], commits[4]);
        EXPECT_NEAR(series["steps"][0]["pct"].get<double>(), -25, 3);
        EXPECT_TRUE(series["steps"][0]["regression"].get<bool>());
        EXPECT_EQ(series["steps"][1]["from"], commits[4]);
        EXPECT_EQ(series["steps"][1]["to"], commits[5]);
        EXPECT_GT(series["steps"][1]["pct"].get<double>(), 25);
        EXPECT_FALSE(series["steps"][1]["regression"].get<bool>());
    }
}

TEST(History, NoiseAloneHasNoStep) {
    test::TempDir dir;
    const nlohmann::json h =
        history_json(history_of(dir.path(), std::vector<double>(8, 1.0), commits_of(8), 2), dir.path() / "out");
    ASSERT_EQ(h["series"].size(), 2u);
    for (const auto& series : h["series"]) EXPECT_TRUE(series["steps"].empty()) << series.dump();
}

// A lasting slowdown: one step, the gate stops on it naming both builds, and a hostile build name reaches the
// terminal escaped and the Markdown as text.
TEST(History, TheGateStopsOnALastingSlowdownAndNamesItsBuilds) {
    test::TempDir dir;
    std::vector<double> factors = {1, 1, 1, 1, 1, 0.85, 0.85, 0.85};
    auto commits = commits_of(8);
    commits[5] = "\x1b[31mred|`*[x](http://e.vil)\n# h";
    const fs::path db = history_of(dir.path(), factors, commits, 3);
    const auto r = test::run_llmsweep("history --db " + shell_quote(db) + " --metric tg --fail-on regression --out " +
                                      shell_quote(dir.path() / "out"));
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("regression: m.gguf tg: between"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("between build c0ffee4 and \\x1b[31mred|`*[x](http://e.vil)\\n# h: -1"), std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("1 regression beyond the margin"), std::string::npos) << r.err;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos);
    EXPECT_EQ(r.err.find('\x1b'), std::string::npos);
    const std::string md = test::read_file(dir.path() / "out" / "history.md");
    EXPECT_EQ(md.find('\x1b'), std::string::npos);
    EXPECT_EQ(md.find("](http://e.vil)"), std::string::npos) << md;
    EXPECT_EQ(md.find("\n# h"), std::string::npos) << md;
    // Without a slowdown beyond the margin the gate passes: 20 % is the margin here.
    EXPECT_EQ(test::run_llmsweep("history --db " + shell_quote(db) + " --metric tg --margin 20 --fail-on regression")
                  .exit_code,
              0);
}

// Real builds: llama-bench from the pinned source built for this CPU, and built without its vector extensions
// (tests/CMakeLists.txt). Eight builds in history order, the fifth the slow one: each run's llama-bench output
// (pp64, several times slower without the extensions; tg's 2.4x drowns in the noise of a busy machine), its
// build named as a commit of its own, imported. One thread: two threads beside other work wait for each other at
// every barrier, and their throughput swings eightfold from run to run with every core busy. The change points are
// on either side of the fifth, any other is of the fast builds' noise, and the gate stops on it.
TEST(History, ARealSlowBuildAmongRealFastOnesIsFoundThere) {
    const std::string native = LLMSWEEP_LLAMA_BENCH, generic = LLMSWEEP_GENERIC_LLAMA_BENCH;
    if (native.empty() || generic.empty() || !fs::exists(generic))
        GTEST_SKIP() << "this build has no llama-bench of its own, or none without vector extensions (an installed "
                        "llama.cpp)";
    test::TempDir dir;
    const fs::path model = dir.path() / "m.gguf", db = dir.path() / "h.db";
    const auto synth = test::run_llmsweep("synth --preset smollm2-135m -o " + shell_quote(model));
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
    // One run first, not kept: the first after the model's synthesis was up to a fifth slower (its pages, the
    // clocks), which the history rightly called a step at the first build.
    ASSERT_EQ(
        test::run_shell(shell_quote(native) + " -m " + shell_quote(model) + " -p 64 -n 0 -r 5 -t 1 -o jsonl").exit_code,
        0);
    // The builds run in rounds, each once per round, rather than each five times in turn: a machine whose speed
    // changes in the middle of the test (a neighbour's load, the host's clocks; +60 % was seen) then changes
    // every build's figures alike, not the later builds' alone.
    constexpr int builds = 8, rounds = 5;
    std::vector<nlohmann::json> tests(builds);
    for (int round = 0; round < rounds; ++round)
        for (int b = 0; b < builds; ++b) {
            const auto r = test::run_shell(shell_quote(b == 4 ? generic : native) + " -m " + shell_quote(model) +
                                           " -p 64 -n 0 -r 1 -t 1 -o jsonl");
            ASSERT_EQ(r.exit_code, 0) << r.err;
            const nlohmann::json one = nlohmann::json::parse(r.out.substr(0, r.out.find('\n')));
            if (round == 0) tests[b] = one;
            else
                for (const char* samples : {"samples_ns", "samples_ts"})
                    tests[b][samples].push_back(one.at(samples).at(0));
        }
    for (int b = 0; b < builds; ++b) {
        nlohmann::json& joined = tests[b];
        // The rounds' samples as one test of five repetitions, its figures theirs.
        for (const char* unit : {"ns", "ts"}) {
            const auto samples = joined.at(fmt::format("samples_{}", unit)).get<std::vector<double>>();
            double mean = 0, squares = 0;
            for (const double x : samples) mean += x / static_cast<double>(samples.size());
            for (const double x : samples) squares += (x - mean) * (x - mean);
            const double sd = std::sqrt(squares / static_cast<double>(samples.size() - 1));
            if (std::string(unit) == "ns") {
                joined["avg_ns"] = static_cast<uint64_t>(std::llround(mean));
                joined["stddev_ns"] = static_cast<uint64_t>(std::llround(sd));
            } else {
                joined["avg_ts"] = mean;
                joined["stddev_ts"] = sd;
            }
        }
        joined["build_commit"] = fmt::format("build{}", b);
        joined["build_number"] = 100 + b;
        std::ofstream(dir.path() / fmt::format("b{}.jsonl", b)) << joined.dump() << "\n";
        const auto imported = test::run_llmsweep("import --db " + shell_quote(db) + " " +
                                                 shell_quote(dir.path() / fmt::format("b{}.jsonl", b)));
        ASSERT_EQ(imported.exit_code, 0) << imported.err;
    }
    const auto r = test::run_llmsweep("history --db " + shell_quote(db) + " --no-charts --fail-on regression --out " +
                                      shell_quote(dir.path() / "out"));
    EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
    const nlohmann::json h = nlohmann::json::parse(test::read_file(dir.path() / "out" / "history.json"));
    ASSERT_EQ(h["series"].size(), 1u) << r.out;
    // The slow build is found on both sides. Elsewhere there is only the fast builds' own noise, in which the
    // test raises false alarms by design (5 % of histories of normal noise): a few percent between runs of one
    // build on an idle machine, but a shared virtual machine's speed swings between processes too (the same
    // binary's five-process means 27 % apart were seen). Any other step found must be a fraction of the slow
    // build's: under a third of it, as a ratio (the slow build's is about 5x).
    const auto size_of = [](const nlohmann::json& step) {
        return std::fabs(std::log1p(step["pct"].get<double>() / 100));
    };
    for (const auto& series : h["series"]) {
        bool into = false, out = false;
        double slow = 0;
        for (const auto& step : series["steps"])
            if (step["from"] == "build3" && step["to"] == "build4") slow = size_of(step);
        for (const auto& step : series["steps"]) {
            if (step["from"] == "build3" && step["to"] == "build4") {
                into = true;
                EXPECT_TRUE(step["regression"].get<bool>()) << r.out;
                EXPECT_LT(step["pct"].get<double>(), -50) << r.out;
            } else if (step["from"] == "build4" && step["to"] == "build5") {
                out = true;
                EXPECT_GT(step["pct"].get<double>(), 100) << r.out;
            } else {
                EXPECT_LT(size_of(step), slow / 3) << "a step the slow build does not explain\n" << r.out;
            }
        }
        EXPECT_TRUE(into && out) << r.out;
    }
}

// llmsweep bisect over a small git repository that builds llama-bench from the pinned source, whose fourth commit
// turns the CPU's vector extensions off (the flags of the slow build above): git bisect, answered by a verdict at
// each commit, names that commit. On a machine busy enough to leave a comparison undecided, that commit is skipped
// and git names a range holding the commit; no commit is ever answered the wrong way.
TEST(Bisect, FindsTheCommitThatTurnedTheVectorExtensionsOff) {
    const std::string llama = LLMSWEEP_LLAMA_SOURCE_DIR;
    if (llama.empty() || test::run_shell("git --version").exit_code != 0)
        GTEST_SKIP() << "no llama.cpp source to build (an installed llama.cpp), or no git";
    test::TempDir dir;
    const fs::path repo = dir.path() / "repo", model = dir.path() / "m.gguf";
    fs::create_directories(repo);
    ASSERT_EQ(test::run_llmsweep("synth --preset smollm2-135m -o " + shell_quote(model)).exit_code, 0);
    std::ofstream(repo / "CMakeLists.txt")
        << fmt::format("cmake_minimum_required(VERSION 3.14)\n"
                       "project(fixture C CXX)\n"
                       "set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)\n"
                       "include(options.cmake)\n"
                       "set(BUILD_SHARED_LIBS OFF)\nset(LLAMA_BUILD_COMMON ON)\nset(LLAMA_BUILD_TOOLS ON)\n"
                       "set(CMAKE_RUNTIME_OUTPUT_DIRECTORY ${{CMAKE_BINARY_DIR}}/bin)\n"
                       "add_subdirectory(\"{}\" llama EXCLUDE_FROM_ALL)\n",
                       llama);
    const auto git = [&](const std::string& args) {
        const auto r = test::run_shell("git -C " + shell_quote(repo) + " -c user.name=t -c user.email=t@t " + args);
        EXPECT_EQ(r.exit_code, 0) << args << ": " << r.out << r.err;
        return r.out;
    };
    git("init -q");
    std::vector<std::string> commits;
    for (int c = 0; c < 6; ++c) {
        std::ofstream(repo / "options.cmake")
            << (c < 3 ? "set(GGML_NATIVE ON)\n"
                      : "set(GGML_NATIVE OFF)\nforeach(x SSE42 AVX AVX2 AVX512 FMA F16C BMI2)\n"
                        "    set(GGML_${x} OFF)\nendforeach()\n")
            << "# commit " << c << "\n";
        git("add -A");
        git(fmt::format("commit -q -m 'commit {}'", c));
        commits.push_back(git("rev-parse HEAD").substr(0, 12));
    }
    const auto r =
        test::run_llmsweep("bisect --repo " + shell_quote(repo) + " --good " + commits[0] + " --bad " + commits[5] +
                           " -m " + shell_quote(model) + " -p 64 -n 0 -t 1 --max-repetitions 8 --margin 10 --work " +
                           shell_quote(dir.path() / "work"));
    // Every commit it decided, it decided right: bad from the fourth on, good before it.
    const std::regex answer(R"(bisect: ([0-9a-f]+) is (bad|good))");
    size_t decided = 0;
    for (std::sregex_iterator it(r.out.begin(), r.out.end(), answer), end; it != end; ++it, ++decided) {
        const std::string sha = (*it)[1];
        const auto at = std::find_if(commits.begin(), commits.end(), [&](const auto& c) { return c.starts_with(sha); });
        ASSERT_NE(at, commits.end()) << sha;
        EXPECT_EQ((*it)[2] == "bad", at - commits.begin() >= 3) << sha << "\n" << r.out;
    }
    EXPECT_GT(decided, 0u) << r.out;
    if (r.out.find("skipped (undecided)") == std::string::npos) {
        // Nothing was left undecided: git names the commit.
        ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
        EXPECT_NE(r.out.find("first bad commit: " + commits[3]), std::string::npos) << r.out << r.err;
    } else {
        // A comparison the noise left undecided (a busy machine) was skipped, not guessed: git names a range with
        // the commit in it, or the commit itself where the skipped one was not next to it (the fifth skipped, the
        // fourth bad and the third good).
        EXPECT_TRUE(r.err.find("possible first bad commit: [" + commits[3]) != std::string::npos ||
                    r.out.find("first bad commit: " + commits[3]) != std::string::npos)
            << r.out << r.err;
    }
    // The checkout is left as it was: bisect reset, on the last commit.
    EXPECT_EQ(git("rev-parse HEAD").substr(0, 12), commits[5]);
}

TEST(History, OneBuildIsNoHistory) {
    test::TempDir dir;
    const fs::path db = history_of(dir.path(), {1.0}, {"c0ffee0"}, 4);
    const auto r = test::run_llmsweep("history --db " + shell_quote(db));
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("one build"), std::string::npos) << r.err;
}

} // namespace
} // namespace llmsweep
