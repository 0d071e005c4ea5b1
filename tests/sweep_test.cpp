#include "core/error.hpp"
#include "sweep/orchestrator.hpp"
#include "sweep/plan.hpp"
#include "sweep/range.hpp"
#include "sweep/spec.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

namespace llmsweep::sweep {
namespace {

using namespace domain;
using V = std::vector<int64_t>;

TEST(Range, ValuesAndRanges) {
    EXPECT_EQ(parse_int_list("64,128,512", "-p"), (V{64, 128, 512}));
    EXPECT_EQ(parse_int_list("32-128", "-p").size(), 97u);
    EXPECT_EQ(parse_int_list("32-128+32", "-p"), (V{32, 64, 96, 128}));
    EXPECT_EQ(parse_int_list("64-1024*2", "-p"), (V{64, 128, 256, 512, 1024}));
    EXPECT_EQ(parse_int_list("64-1000*2", "-p"), (V{64, 128, 256, 512}));
    EXPECT_EQ(parse_int_list("1, 2-3", "-p"), (V{1, 2, 3}));
    EXPECT_EQ(parse_int_list("7", "-p"), (V{7}));
}

TEST(Range, BadInputNamesTheOptionAndTheItem) {
    for (const char* bad : {"", "a", "64-", "64-32", "1-8*1", "1-8+0", "0-8*2", "1-8/2", "1,,2", "-5", "1-2+3x"}) {
        try {
            parse_int_list(bad, "--n-prompt");
            FAIL() << "accepted '" << bad << "'";
        } catch (const UsageError& e) {
            EXPECT_NE(std::string(e.what()).find("--n-prompt"), std::string::npos) << e.what();
        }
    }
    EXPECT_THROW(parse_int_list("1-1000000", "-p", 0, 1000), UsageError);
    EXPECT_THROW(parse_int_list("0-10000000", "-p", 0, INT32_MAX), UsageError); // too many values
}

TEST(Spec, SettingsAssignFromTexts) {
    SweepSpec spec;
    const domain::Knob& load_mode = *domain::find_knob("load_mode");
    find_setting("mmap").assign(spec, {"0,1"});
    EXPECT_EQ(spec.values_of(load_mode), (std::vector<std::string>{"none", "mmap"}));
    find_setting("load_mode").assign(spec, {"dio", "mlock,dio"});
    EXPECT_EQ(spec.values_of(load_mode), (std::vector<std::string>{"dio", "mlock"}));
    find_setting("cache").assign(spec, {"cold,warm"}); // its flag and TOML key before it was named as its column
    EXPECT_EQ(spec.values_of(*domain::find_knob("cache_state")), (std::vector<std::string>{"cold", "warm"}));
    find_setting("n_prompt").assign(spec, {"64-256*2", "64"});
    EXPECT_EQ(spec.integers_of(*find_parameter("n_prompt")), (V{64, 128, 256}));
    find_setting("flash_attn").assign(spec, {"0,1,auto"});
    EXPECT_EQ(spec.values_of(*domain::find_knob("flash_attn")), (std::vector<std::string>{"off", "on", "auto"}));
    find_setting("mode").assign(spec, {"split"});
    EXPECT_EQ(spec.mode, Mode::split);
    EXPECT_THROW(find_setting("mmap").assign(spec, {"2"}), UsageError);
    EXPECT_THROW(find_setting("type_k").assign(spec, {"q9_9"}), UsageError);
    EXPECT_THROW(find_setting("repetitions").assign(spec, {"0"}), UsageError);
    EXPECT_THROW(find_setting("repetitions").assign(spec, {"3", "4"}), UsageError);
    EXPECT_THROW(find_setting("timeout").assign(spec, {"-1"}), UsageError);
    EXPECT_THROW(find_setting("n_prmpt"), UsageError);
}

TEST(Spec, TomlFileUsesTheSameNames) {
    test::TempDir dir;
    std::ofstream(dir / "sweep.toml") << "model = ['a.gguf', '/abs/b.gguf,c.gguf']\n"
                                         "mmap = [0, 1]\n"
                                         "n_prompt = '64-256*2'\n"
                                         "n_gen = [32, 64]\n"
                                         "repetitions = 3\n"
                                         "order = 'grouped'\n"
                                         "flash_attn = true\n"
                                         "timeout = 2.5\n";
    SweepSpec spec;
    read_toml((dir / "sweep.toml").string(), spec);
    EXPECT_EQ(spec.models,
              (std::vector<std::string>{(dir / "a.gguf").string(), "/abs/b.gguf", (dir / "c.gguf").string()}));
    EXPECT_EQ(spec.values_of(*domain::find_knob("load_mode")).size(), 2u);
    EXPECT_EQ(spec.integers_of(*find_parameter("n_prompt")), (V{64, 128, 256}));
    EXPECT_EQ(spec.integers_of(*find_parameter("n_gen")), (V{32, 64}));
    EXPECT_EQ(spec.repetitions, 3);
    EXPECT_EQ(spec.order, Order::grouped);
    EXPECT_EQ(spec.values_of(*domain::find_knob("flash_attn")), (std::vector<std::string>{"on"}));
    EXPECT_DOUBLE_EQ(spec.timeout_s, 2.5);
}

TEST(Spec, TomlErrorsNameFileLineAndKey) {
    test::TempDir dir;
    auto expect_error = [&](const std::string& text, const std::string& must_mention) {
        std::ofstream(dir / "s.toml") << text;
        SweepSpec spec;
        try {
            read_toml((dir / "s.toml").string(), spec);
            FAIL() << "accepted: " << text;
        } catch (const UsageError& e) {
            EXPECT_NE(std::string(e.what()).find("s.toml:"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find(must_mention), std::string::npos) << e.what();
        }
    };
    expect_error("n_prmpt = 5\n", "n_prmpt is not a setting; did you mean n_prompt?");
    expect_error("threads = true\n", "'true' is not a number");
    expect_error("n_prompt = 8\nn_prompt = 9\n", "'n_prompt'");
    {
        const std::string key(1'000'000, 'k');
        std::ofstream(dir / "s.toml") << key << " = 1\n";
        SweepSpec spec;
        try {
            read_toml((dir / "s.toml").string(), spec);
            FAIL() << "a key of a megabyte was accepted";
        } catch (const UsageError& e) {
            EXPECT_LT(std::string(e.what()).size(), 400u) << "the key is not echoed whole";
            EXPECT_NE(std::string(e.what()).find("(1000000 bytes)"), std::string::npos) << e.what();
        }
    }
    expect_error("n_prompt = [64, 'x']\n", "'x'");
    expect_error("repetitions = [1, 2]\n", "repetitions");
    expect_error("n_gen = []\n", "empty");
    expect_error("n_gen = = 3\n", ":1:");
    expect_error("mode = 'fast'\n", "fast");
}

TEST(Spec, ValidateRejectsMissingAndNonGgufModels) {
    test::TempDir dir;
    SweepSpec spec;
    EXPECT_THROW(validate(spec), UsageError); // no model
    spec.models = {(dir / "missing.gguf").string()};
    EXPECT_THROW(validate(spec), UsageError);
    std::ofstream(dir / "text.gguf") << "hello";
    spec.models = {(dir / "text.gguf").string()};
    try {
        validate(spec);
        FAIL();
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("not a GGUF"), std::string::npos);
    }
}

TEST(Spec, AdaptiveRoundsNeedARuleALimitAndASweptParameter) {
    test::TempDir dir;
    std::ofstream(dir / "m.gguf") << "GGUF";
    SweepSpec spec;
    spec.models = {(dir / "m.gguf").string()};
    spec.knobs["load_mode"] = {"none", "mmap"};
    spec.repetitions = 3;
    const auto error = [](const SweepSpec& s) -> std::string {
        try {
            validate(s);
            return "";
        } catch (const UsageError& e) {
            return e.what();
        }
    };
    SweepSpec s = spec;
    s.max_repetitions = 10;
    EXPECT_NE(error(s).find("give --target-ci PCT"), std::string::npos) << error(s);
    s = spec;
    find_setting("decide").assign(s, {"load_mode"});
    EXPECT_NE(error(s).find("add --max-repetitions M above --repetitions 3"), std::string::npos) << error(s);
    s.max_repetitions = 2;
    EXPECT_NE(error(s).find("below --repetitions 3"), std::string::npos) << error(s);
    s.max_repetitions = 10;
    EXPECT_EQ(error(s), "");
    s.decide = {"n_threads"};
    EXPECT_NE(error(s).find("one value"), std::string::npos) << error(s);
    // The flags' names are the results': -t's threads is n_threads, --flash-attn's flash_attn.
    find_setting("decide").assign(s, {"threads,flash-attn"});
    EXPECT_EQ(s.decide, (std::vector<std::string>{"n_threads", "flash_attn"}));
    s.decide = {"load-mode"};
    EXPECT_NE(error(s).find("not a parameter the sweep sets"), std::string::npos) << error(s);
    s.decide = {"load_mode"};
    s.order = Order::grouped;
    EXPECT_NE(error(s).find("--order rounds"), std::string::npos) << error(s);
    s = spec;
    find_setting("max_repetitions").assign(s, {"8"});
    find_setting("target_ci").assign(s, {"1.5"});
    find_setting("margin").assign(s, {"1"});
    EXPECT_NE(error(s).find("--margin is the equivalence margin of --decide"), std::string::npos) << error(s);
    EXPECT_THROW(find_setting("target_ci").assign(s, {"-1"}), UsageError);
    s.margin_pct.reset();
    EXPECT_EQ(error(s), "");
    // The rule is part of the run's identity: another rule is another run.
    EXPECT_NE(spec_key(s).find(R"("max_repetitions":8,)"), std::string::npos) << spec_key(s);
    EXPECT_NE(spec_key(s).find(R"("target_ci":1.5)"), std::string::npos) << spec_key(s);
    EXPECT_EQ(spec_key(spec).find("max_repetitions"), std::string::npos);
}

SweepSpec two_model_spec() {
    SweepSpec spec;
    spec.models = {"a.gguf", "b.gguf"};
    spec.knobs["load_mode"] = {"none", "mmap"};
    spec.knobs["n_prompt"] = {"64", "128"};
    spec.knobs["n_gen"] = {"32", "64"};
    spec.repetitions = 3;
    return spec;
}

TEST(Plan, RequestModeIsTheCrossProduct) {
    const Plan plan = make_plan(two_model_spec(), 2);
    EXPECT_EQ(plan.points.size(), 2u * 2u * 2u * 2u);
    EXPECT_EQ(plan.groups.size(), 4u);
    EXPECT_EQ(plan.n_tasks(), plan.points.size() * 3);
    EXPECT_EQ(plan.points.front().context.threads, 2);
    std::set<std::string> keys;
    for (const auto& p : plan.points) keys.insert(p.key(Mode::request));
    EXPECT_EQ(keys.size(), plan.points.size()) << "keys must be unique";
    EXPECT_EQ(metrics_of(plan.points.front(), Mode::request), (std::vector<std::string>{"pp", "tg"}));
}

TEST(Plan, SplitModeMakesSeparatePpAndTgTests) {
    SweepSpec spec = two_model_spec();
    spec.mode = Mode::split;
    const Plan plan = make_plan(spec, 2);
    EXPECT_EQ(plan.points.size(), 4u * (2u + 2u));
    for (const auto& p : plan.points) {
        EXPECT_TRUE((p.test.n_prompt > 0) != (p.test.n_gen > 0));
        EXPECT_EQ(metrics_of(p, Mode::split).size(), 1u);
    }
}

TEST(Plan, CombinedTestsAreSplitModesPg) {
    SweepSpec spec = two_model_spec();
    spec.mode = Mode::split;
    find_setting("n_pg").assign(spec, {"512,128", "64,32", "512,128"});
    EXPECT_EQ(spec.n_pg, (std::vector<std::pair<int64_t, int64_t>>{{512, 128}, {64, 32}}));
    const Plan plan = make_plan(spec, 2);
    EXPECT_EQ(plan.points.size(), 4u * (2u + 2u + 2u));
    size_t combined = 0;
    for (const auto& p : plan.points)
        if (p.test.n_prompt > 0 && p.test.n_gen > 0) {
            ++combined;
            EXPECT_EQ(metrics_of(p, Mode::split), std::vector<std::string>{"pg"});
        }
    EXPECT_EQ(combined, 4u * 2u);
    EXPECT_NE(spec_key(spec).find(R"("n_pg":[[512,128],[64,32]])"), std::string::npos) << spec_key(spec);
    EXPECT_THROW(find_setting("n_pg").assign(spec, {"512"}), UsageError) << "a pair";
    EXPECT_THROW(find_setting("n_pg").assign(spec, {"512,0"}), UsageError) << "both above 0";
    test::TempDir dir;
    std::ofstream(dir / "m.gguf") << "GGUF";
    spec.models = {(dir / "m.gguf").string()};
    spec.mode = Mode::request;
    try {
        validate(spec);
        FAIL() << "-pg in request mode";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("add --mode split"), std::string::npos) << e.what();
    }
}

TEST(Spec, CpuPlacementTakesLlamaBenchsValues) {
    SweepSpec spec;
    find_setting("cpu_mask").assign(spec, {"0xFF,3", "0xff"});
    EXPECT_EQ(spec.knobs.at("cpu_mask"), (std::vector<std::string>{"0xff", "0x3"})) << "one spelling of a mask";
    EXPECT_THROW(find_setting("cpu_mask").assign(spec, {"0xfg"}), UsageError);
    find_setting("poll").assign(spec, {"0,100"});
    EXPECT_EQ(spec.knobs.at("poll"), (std::vector<std::string>{"0", "100"}));
    EXPECT_THROW(find_setting("poll").assign(spec, {"101"}), UsageError);
    EXPECT_THROW(find_setting("prio").assign(spec, {"4"}), UsageError);
    find_setting("prio").assign(spec, {"-1"});
    EXPECT_EQ(spec.run().prio, -1);
    spec.models = {"m.gguf"};
    const Plan plan = make_plan(spec, 1);
    EXPECT_EQ(plan.points.size(), 2u * 2u) << "masks x polls";
    EXPECT_NE(spec_key(spec).find(R"("prio":-1)"), std::string::npos) << spec_key(spec);
}

TEST(Plan, KeysAreStableAndDependOnEveryValue) {
    const Plan a = make_plan(two_model_spec(), 2);
    const Plan b = make_plan(two_model_spec(), 2);
    for (size_t i = 0; i < a.points.size(); ++i)
        EXPECT_EQ(a.points[i].key(Mode::request), b.points[i].key(Mode::request));
    const Point base_point = a.points[0];
    const std::string base = base_point.key(Mode::request);
    // Changing any one value of the point changes its key.
    const std::vector<std::pair<std::string, void (*)(Point&)>> changes = {
        {"model", [](Point& p) { p.load.model = "other.gguf"; }},
        {"load_mode", [](Point& p) { p.load.load_mode = LoadMode::mlock; }},
        {"cache_state", [](Point& p) { p.load.cache_state = CacheState::cold; }},
        {"n_gpu_layers", [](Point& p) { p.load.n_gpu_layers += 1; }},
        {"threads", [](Point& p) { p.context.threads += 1; }},
        {"n_batch", [](Point& p) { p.context.n_batch += 1; }},
        {"n_ubatch", [](Point& p) { p.context.n_ubatch += 1; }},
        {"type_k", [](Point& p) { p.context.type_k = "q8_0"; }},
        {"type_v", [](Point& p) { p.context.type_v = "q8_0"; }},
        {"flash_attn", [](Point& p) { p.context.flash_attn = "on"; }},
        {"n_prompt", [](Point& p) { p.test.n_prompt += 1; }},
        {"n_gen", [](Point& p) { p.test.n_gen += 1; }},
        {"n_depth", [](Point& p) { p.test.n_depth += 1; }}};
    for (const auto& [what, change] : changes) {
        Point p = base_point;
        change(p);
        EXPECT_NE(p.key(Mode::request), base) << what;
    }
    EXPECT_NE(base_point.key(Mode::split), base) << "mode";
}

// Resuming finds a run by its spec key and its points by their keys: a fixed spec's keys never change (a
// change here orphans every stored run). (The defaults became llama-bench's, -ngl -1 and load mode auto, in
// schema 6: a run that gave neither resumes when it gives them, -ngl 99 --load-mode mmap.)
TEST(Plan, TheKeysOfAFixedSpecNeverChange) {
    SweepSpec spec;
    spec.models = {"/nonexistent/model.gguf"};
    spec.knobs["n_prompt"] = {"512"};
    spec.knobs["n_gen"] = {"128"};
    spec.knobs["load_mode"] = {"mmap"};
    spec.knobs["n_gpu_layers"] = {"99"};
    EXPECT_EQ(
        spec_key(spec),
        R"({"cache":["warm"],"flash_attn":["auto"],"load_mode":["mmap"],"mode":"request","model":["/nonexistent/model.gguf"],)"
        R"("n_batch":[2048],"n_depth":[0],"n_gen":[128],"n_gpu_layers":[99],"n_prompt":[512],"n_ubatch":[512],)"
        R"("order":"rounds","repetitions":5,"seed":1,"threads":[],"timeout":600.0,"type_k":["f16"],"type_v":["f16"],)"
        R"("warmup":1})");
    const Plan plan = make_plan(spec, 4);
    ASSERT_EQ(plan.points.size(), 1u);
    EXPECT_EQ(plan.points[0].key(Mode::request),
              "mode=request;model=/nonexistent/model.gguf:0;load_mode=mmap;cache=warm;ngl=99;threads=4;n_batch=2048;"
              "n_ubatch=512;type_k=f16;type_v=f16;fa=auto;n_prompt=512;n_gen=128;n_depth=0");
}

// Server mode's settings are knobs of the table: its runs' spec keys and point keys stay as they were.
TEST(Plan, TheKeysOfAFixedServerSpecNeverChange) {
    SweepSpec spec;
    spec.models = {"/nonexistent/model.gguf"};
    spec.mode = Mode::server;
    spec.knobs["n_prompt"] = {"64"};
    spec.knobs["n_gen"] = {"16"};
    spec.knobs["concurrency"] = {"2"};
    spec.knobs["parallel"] = {"4"};
    spec.knobs["cache_prompt"] = {"1"};
    spec.knobs["shared_prefix"] = {"16"};
    EXPECT_EQ(
        spec_key(spec),
        R"({"api":"llama","cache":["warm"],"cache_prompt":[1],"cache_reuse":[0],"concurrency":[2],"cont_batching":[1],)"
        R"("ctx_size":[0],"duration":0.0,"flash_attn":["auto"],"gen_dist":[""],"llama_server":"","llama_server_args":[],)"
        R"("load_mode":["auto"],"mode":"server","model":["/nonexistent/model.gguf"],"n_batch":[2048],"n_depth":[0],)"
        R"("n_gen":[16],"n_gpu_layers":[-1],"n_prompt":[64],"n_ubatch":[512],"order":"rounds","parallel":[4],)"
        R"("prompt_dist":[""],"rate":[],"repetitions":5,"requests":0,"seed":1,"shared_prefix":[16],"slo":"",)"
        R"("threads":[],"timeout":600.0,"type_k":["f16"],"type_v":["f16"],"url":"","warmup":1})");
    const Plan plan = make_plan(spec, 4);
    ASSERT_EQ(plan.points.size(), 1u);
    EXPECT_EQ(plan.points[0].key(Mode::server),
              "mode=server;model=/nonexistent/model.gguf:0;load_mode=auto;cache=warm;ngl=-1;threads=4;n_batch=2048;"
              "n_ubatch=512;type_k=f16;type_v=f16;fa=auto;n_prompt=64;n_gen=16;n_depth=0;np=4;c=0;cb=1;"
              "cache_reuse=0;concurrency=2;rate=0;prefix=16;cache_prompt=1;prompt_dist=;gen_dist=");
}

// The client loops: one client where the sweep gives neither clients nor rates; the clients' closed loops, then
// the rates' open ones, and no closed loop where only rates are given.
TEST(Plan, ClientLoopsAreTheClientsGivenThenTheRatesGiven) {
    const auto loops = [](std::vector<std::string> clients, std::vector<std::string> rates) {
        SweepSpec spec;
        if (!clients.empty()) find_setting("concurrency").assign(spec, clients);
        if (!rates.empty()) find_setting("rate").assign(spec, rates);
        std::vector<std::string> shown;
        for (const ClientLoad& l : spec.client_loops())
            shown.push_back(l.open_loop() ? fmt::format("{}/s", l.rate) : fmt::format("c{}", l.concurrency));
        EXPECT_EQ(swept_values(spec, "concurrency"), shown.size());
        return fmt::format("{}", fmt::join(shown, " "));
    };
    EXPECT_EQ(loops({}, {}), "c1");
    EXPECT_EQ(loops({"1-8*2"}, {}), "c1 c2 c4 c8");
    EXPECT_EQ(loops({}, {"0.5,2"}), "0.5/s 2/s");
    EXPECT_EQ(loops({"1"}, {"0.50", "1"}), "c1 0.5/s 1/s");
    EXPECT_THROW(loops({}, {"0"}), UsageError) << "a rate is above 0";
    EXPECT_THROW(loops({"0"}, {}), UsageError) << "a closed loop has a client";
}

// --shard K/N: the shards together are the sweep, every point once; a pair (the same point at another value of
// a parameter) is never split, since a shard takes whole tests; the work is dealt out evenly.
TEST(Plan, ShardsPartitionTheSweepWithoutSplittingAPair) {
    SweepSpec spec = two_model_spec();
    spec.knobs["n_prompt"] = {"16", "32", "64", "128", "256"};
    spec.knobs["n_gen"] = {"8", "16", "32"};
    spec.knobs["n_depth"] = {"0", "512"};
    const Plan whole = make_plan(spec, 2);
    std::multiset<std::string> seen;
    std::vector<double> work;
    for (int64_t k = 1; k <= 4; ++k) {
        spec.shard = std::pair{k, int64_t{4}};
        const Plan shard = make_plan(spec, 2);
        EXPECT_EQ(make_plan(spec, 2).points.size(), shard.points.size()) << "the same partition every time";
        double w = 0;
        std::set<std::string> tests;
        for (const Point& p : shard.points) {
            seen.insert(p.key(Mode::request));
            tests.insert(fmt::format("{}/{}/{}", p.test.n_prompt, p.test.n_gen, p.test.n_depth));
            // Its partners at every other value of every parameter are in the same shard.
            for (const std::string& model : spec.models)
                for (const std::string& mode : spec.values_of(*domain::find_knob("load_mode"))) {
                    Point partner = p;
                    partner.load.model = model;
                    partner.load.load_mode = domain::parse_load_mode(mode);
                    EXPECT_TRUE(
                        std::any_of(shard.points.begin(), shard.points.end(),
                                    [&](const Point& q) { return q.key(Mode::request) == partner.key(Mode::request); }))
                        << "shard " << k << " lacks a partner of " << p.key(Mode::request);
                }
        }
        for (const std::string& test : tests) {
            int64_t prompt = 0, gen = 0, depth = 0;
            std::sscanf(test.c_str(), "%ld/%ld/%ld", &prompt, &gen, &depth);
            w += static_cast<double>(depth + prompt) + generated_token_weight * static_cast<double>(gen);
        }
        work.push_back(w);
    }
    std::multiset<std::string> all;
    for (const Point& p : whole.points) all.insert(p.key(Mode::request));
    EXPECT_EQ(seen, all) << "every point in exactly one shard";
    // Balanced: no shard above the others by more than the largest single test's work.
    const double largest_test = 512 + 256 + generated_token_weight * 32;
    EXPECT_LE(*std::max_element(work.begin(), work.end()) - *std::min_element(work.begin(), work.end()), largest_test);
    // More shards than tests is an error that says how many there can be.
    spec.shard = std::pair{int64_t{1}, int64_t{31}};
    try {
        make_plan(spec, 2);
        FAIL() << "31 shards of 30 tests";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("use at most 30 shards"), std::string::npos) << e.what();
    }
    EXPECT_THROW(find_setting("shard").assign(spec, {"3/2"}), UsageError);
    EXPECT_THROW(find_setting("shard").assign(spec, {"0/2"}), UsageError);
    find_setting("shard").assign(spec, {"2/3"});
    EXPECT_NE(spec_key(spec).find(R"("shard":"2/3")"), std::string::npos) << "each shard is a run of its own";
}

TEST(Plan, GroupedRunsEachGroupOnceWithRepetitionsBackToBack) {
    SweepSpec spec = two_model_spec();
    spec.order = Order::grouped;
    const Plan plan = make_plan(spec, 2);
    ASSERT_EQ(plan.visits.size(), plan.groups.size());
    const auto& tasks = plan.visits[0].tasks;
    ASSERT_GE(tasks.size(), 3u);
    EXPECT_EQ(tasks[0].point, tasks[1].point);
    EXPECT_EQ(tasks[1].point, tasks[2].point);
    EXPECT_EQ(tasks[2].repetition, 2);
}

TEST(Plan, RoundsInterleaveEveryGroupInEveryRound) {
    const SweepSpec spec = two_model_spec();
    const Plan plan = make_plan(spec, 2);
    ASSERT_EQ(plan.visits.size(), plan.groups.size() * 3);
    std::map<size_t, std::set<int64_t>> reps_of_point;
    for (size_t v = 0; v < plan.visits.size(); ++v) {
        const Visit& visit = plan.visits[v];
        // Round r is visits [r*G, (r+1)*G): every group once, repetition r of each of its points.
        EXPECT_EQ(visit.round, static_cast<int64_t>(v / plan.groups.size()));
        EXPECT_EQ(visit.tasks.size(), plan.groups[visit.group].size());
        for (const Task& t : visit.tasks) {
            EXPECT_EQ(t.repetition, visit.round);
            reps_of_point[t.point].insert(t.repetition);
        }
    }
    for (const auto& [point, reps] : reps_of_point) EXPECT_EQ(reps.size(), 3u) << point;
    // The group order changes between rounds (with these groups and this seed).
    std::vector<size_t> first, second;
    for (size_t g = 0; g < plan.groups.size(); ++g) {
        first.push_back(plan.visits[g].group);
        second.push_back(plan.visits[plan.groups.size() + g].group);
    }
    EXPECT_NE(first, second) << "each round draws a new group order";
    // Another seed, another order.
    SweepSpec other = spec;
    other.seed = 99;
    const Plan reseeded = make_plan(other, 2);
    std::vector<size_t> all, all_reseeded;
    for (size_t v = 0; v < plan.visits.size(); ++v) {
        all.push_back(plan.visits[v].group);
        all_reseeded.push_back(reseeded.visits[v].group);
    }
    EXPECT_NE(all, all_reseeded);
}

TEST(Plan, SameSeedSameOrder) {
    const Plan a = make_plan(two_model_spec(), 2), b = make_plan(two_model_spec(), 2);
    ASSERT_EQ(a.visits.size(), b.visits.size());
    for (size_t v = 0; v < a.visits.size(); ++v) {
        EXPECT_EQ(a.visits[v].group, b.visits[v].group);
        for (size_t t = 0; t < a.visits[v].tasks.size(); ++t)
            EXPECT_EQ(a.visits[v].tasks[t].point, b.visits[v].tasks[t].point);
    }
}

// A parameter's name is text in few places: the table's row (domain/knobs.cpp), domain/parameter_names.hpp for those
// code computes with, and where it is llama-bench's own field (its output and import). Everywhere else code names
// it through the table or parameter_names, so that a misspelling fails to compile, not to find a column.
TEST(ParameterTable, NoParameterIsSpelledOutInMoreThanAFewFiles) {
    namespace fs = std::filesystem;
    std::vector<std::pair<std::string, std::string>> sources; // path, text without // comments
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(LLMSWEEP_SOURCE_DIR) / "src")) {
        if (entry.path().extension() != ".cpp" && entry.path().extension() != ".hpp") continue;
        std::ifstream in(entry.path());
        std::string text, line;
        while (std::getline(in, line)) text += line.substr(0, line.find("//")) + "\n";
        sources.emplace_back(entry.path().lexically_relative(LLMSWEEP_SOURCE_DIR).string(), std::move(text));
    }
    ASSERT_GT(sources.size(), 100u);
    size_t in_code = 0;
    for (const domain::Knob& knob : domain::parameters()) {
        const std::string quoted = fmt::format("\"{}\"", knob.name);
        std::vector<std::string> files;
        for (const auto& [path, text] : sources)
            if (text.find(quoted) != std::string::npos) files.push_back(path);
        EXPECT_LE(files.size(), 8u) << knob.name << " is spelled out in " << fmt::format("{}", fmt::join(files, ", "));
        EXPECT_GE(files.size(), 1u) << knob.name; // its row
        if (files.size() > 1) ++in_code;
    }
    EXPECT_GT(in_code, 0u); // the search finds what it looks for
}

} // namespace
} // namespace llmsweep::sweep
