// llama-bench's settings swept by llmsweep's own workers on the synthetic tiny model: each stored, and each
// that llama.cpp shows reaching it (embeddings in the context, the CPU mask in the threads' affinity).

#include "core/child_process.hpp"
#include "core/error.hpp"
#include "engine/bench_engine.hpp"
#include "engine/llama_runtime.hpp"
#include "run_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <fstream>
#include <sched.h>
#include <set>

namespace llmsweep {
namespace {

// llama-bench's combined test: the prompt then the generation, timed as one, (p + g) tokens over that time.
TEST_F(RunTest, CombinedTestsMeasurePromptAndGenerationAsOne) {
    const auto r = run_llmsweep("run -m " + model() + " --mode split -p 16 -n 8 -pg 16,8 -r 2 -t 1" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("| pp16+tg8 |"), std::string::npos) << r.out;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE metric = 'pg' AND n_prompt = 16 AND n_gen = 8 AND "
                    "status = 'ok' AND avg_ts > 0"),
              1);
    // Its throughput counts the prompt's and the generation's tokens over the one time: 24 tokens per sample.
    EXPECT_EQ(count("SELECT count(*) FROM samples JOIN results ON results.id = samples.result_id WHERE metric = 'pg' "
                    "AND abs(ts - 24e9 / ns) < 1e-6 * ts"),
              2);
    EXPECT_EQ(count("SELECT count(*) FROM llama_bench WHERE n_prompt = 16 AND n_gen = 8"), 1);
}

// -nr: llama.cpp repacks the weights it has kernels for into a CPU_REPACK buffer, unless told not to. The loads
// say where the weights went; the llama_bench table has no column for it (llama-bench lacks the option).
TEST_F(RunTest, NoRepackKeepsTheWeightsAsTheFileHasThem) {
    const std::string q4 = shell_quote(dir_ / "q4.gguf");
    ASSERT_EQ(run_llmsweep("synth --preset tiny --type q4_0 -o " + q4).exit_code, 0);
    const auto r = run_llmsweep("run -m " + q4 + " -nr 0,1 --mode split -p 8 -n 2 -r 1 -t 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND no_repack = 1"), 2);
    const std::string repacked =
        "SELECT count(*) FROM loads WHERE model_buffers LIKE '%CPU_REPACK%' AND id IN "
        "(SELECT load_id FROM samples JOIN results AS r ON r.id = result_id WHERE no_repack = ";
    EXPECT_EQ(count(repacked + "1)"), 0);
    if (count(repacked + "0)") == 0) GTEST_SKIP() << "this CPU's ggml repacks no q4_0 weights: -nr 0 and 1 agree";
    EXPECT_GT(count(repacked + "0)"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM pragma_table_info('llama_bench') WHERE name = 'no_repack'"), 0);
    // A load setting: the report's loads are summarized per value, each with where its weights went.
    const auto report = run_llmsweep("report --no-charts -o json --out " + shell_quote(dir_ / "report") + db_arg());
    ASSERT_EQ(report.exit_code, 0) << report.err;
    const auto loads = nlohmann::json::parse(test::read_file(dir_ / "report" / "report.json")).at("loads");
    ASSERT_EQ(loads.size(), 2u) << loads.dump();
    for (const auto& l : loads)
        EXPECT_EQ(l.at("model_buffers").get<std::string>().find("CPU_REPACK") != std::string::npos,
                  l.at("value") == "0")
            << l.dump();
}

// -nkvo and -embd: swept, stored, and (embeddings, which llama.cpp shows) in the context llama.cpp made.
TEST_F(RunTest, KvOffloadAndEmbeddingsAreContextSettings) {
    const auto r =
        run_llmsweep("run -m " + model() + " -nkvo 0,1 -embd 1 --mode split -p 8 -n 2 -r 1 -t 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND embeddings = 1"), 4);
    EXPECT_EQ(count("SELECT count(DISTINCT no_kv_offload) FROM results"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM llama_bench WHERE no_kv_offload = 1 AND embeddings = 1"), 2);

    engine::BenchEngine engine;
    engine.load({(*models_ / "tiny.gguf").string()});
    engine::RunRequest request{
        {1, 2048, 512, "f16", "f16", "auto", true, true}, {8, 0, 0}, domain::Mode::split, 0, 1, 1};
    engine.run(request);
    EXPECT_TRUE(engine.computes_embeddings());
    request.context.embeddings = false;
    engine.run(request);
    EXPECT_FALSE(engine.computes_embeddings());
}

// A decode stopped between two of its graph's nodes (the CPU warm-up's prompt, engine/bench_engine.cpp): the stop
// is asked after each node, the batch's positions leave the KV cache, nothing of it is kept as an error, and the
// context decodes on as before.
TEST_F(RunTest, ADecodeStoppedBetweenNodesLeavesTheContextAsItWas) {
    engine::init_llama();
    const engine::ModelHandle model =
        engine::load_model((*models_ / "tiny.gguf").string(), llama_model_default_params());
    llama_context_params params = llama_context_default_params();
    params.n_ctx = 64;
    params.n_threads = params.n_threads_batch = 1;
    const engine::ContextHandle context = engine::new_context(model.get(), params);
    llama_memory_t memory = llama_get_memory(context.get());
    std::vector<llama_token> tokens(16, 1);

    int64_t nodes = 0;
    EXPECT_TRUE(
        engine::decode_until(context.get(), llama_batch_get_one(tokens.data(), 16), [&] { return ++nodes, false; }));
    EXPECT_GT(nodes, 10) << "the CPU backend asks after each node";
    EXPECT_EQ(llama_memory_seq_pos_max(memory, 0), 15);
    llama_memory_clear(memory, false);

    int64_t asked = 0;
    EXPECT_FALSE(
        engine::decode_until(context.get(), llama_batch_get_one(tokens.data(), 16), [&] { return ++asked == 3; }));
    EXPECT_EQ(asked, 3) << "no node after the stop";
    EXPECT_EQ(llama_memory_seq_pos_max(memory, 0), -1) << "the stopped batch's positions stay in the KV cache";
    EXPECT_EQ(engine::last_llama_error(), "") << "the stop is kept as an error";
    EXPECT_EQ(llama_decode(context.get(), llama_batch_get_one(tokens.data(), 16)), 0);
    EXPECT_EQ(llama_memory_seq_pos_max(memory, 0), 15);
}

// On the CPU the warm-up's prompt is stopped once it touches no new memory (here after 2 of 12 alike layers); a
// sweep never shows that stop, even with llama.cpp's own log on (-v), and measures as before.
TEST_F(RunTest, TheWarmUpsStoppedPromptIsNotShownAndTheSweepMeasures) {
    const std::string twelve = shell_quote(dir_ / "twelve.gguf");
    ASSERT_EQ(run_llmsweep("synth --preset tiny --layers 12 -o " + twelve).exit_code, 0);
    const auto r = run_llmsweep("run -v -m " + twelve + " -p 64,128 -n 4 -r 2 -t 1" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("llama_context"), std::string::npos) << "llama.cpp's log is shown with -v";
    EXPECT_EQ(r.err.find("failed to decode"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("removing memory module entries"), std::string::npos) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND avg_ts > 0"), 4);
}

// The CPU mask reaches ggml's threadpool: with a mask of one CPU, its threads may run there alone.
TEST_F(RunTest, ACpuMaskOfOneCpuShowsInTheThreadsAffinity) {
    cpu_set_t before;
    ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
    const auto allowed_lists = [] {
        std::multiset<std::string> lists;
        for (const auto& task : fs::directory_iterator("/proc/self/task")) {
            std::ifstream status(task.path() / "status");
            for (std::string line; std::getline(status, line);)
                if (line.rfind("Cpus_allowed_list:", 0) == 0) lists.insert(line.substr(line.find_last_of(" \t") + 1));
        }
        return lists;
    };
    const size_t on_cpu0_before = allowed_lists().count("0");
    {
        engine::BenchEngine engine;
        engine.load({(*models_ / "tiny.gguf").string()});
        engine::RunRequest request{{2, 2048, 512, "f16", "f16", "auto", false, false, "0x1", false, 0},
                                   {16, 0, 0},
                                   domain::Mode::split,
                                   0,
                                   0,
                                   1};
        engine.run(request);
        EXPECT_GT(allowed_lists().count("0"), on_cpu0_before) << "a thread of the pool is held to CPU 0";
    }
    sched_setaffinity(0, sizeof before, &before); // this thread too, where ggml pinned it
    EXPECT_THROW(
        {
            engine::BenchEngine engine;
            engine.load({(*models_ / "tiny.gguf").string()});
            engine.run({{1, 2048, 512, "f16", "f16", "auto", false, false, "0xzz", false, 50},
                        {8, 0, 0},
                        domain::Mode::split,
                        0,
                        0,
                        1});
        },
        Error);
}

// --delay: each test starts after a cool-off, outside the timed region.
TEST_F(RunTest, DelayCoolsOffBeforeEachTest) {
    const auto r = run_llmsweep("run -m " + model() + " --mode split -p 8 -n 2 -r 2 -t 1 --delay 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // One visit per round, each with the two tests: two seconds of cooling off at least, per visit.
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE visit_s >= 2.0"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND avg_ts > 1000"), 2)
        << "the cool-off is not in the measurement";
}

// Where the weights go (they matter with GPUs): a CPU-only build accepts every setting, and each is stored.
TEST_F(RunTest, PlacementOfTheWeightsIsSweptAndStored) {
    const auto r = run_llmsweep("run -m " + model() + " --mode split -p 8 -n 2 -sm none,layer -lzm off,on -nopo 1 " +
                                "--no-host 1 -mg 0 -ncmoe 2 -r 1 -t 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND no_op_offload = 1 AND no_host = 1 AND "
                    "n_cpu_moe = 2"),
              8);
    EXPECT_EQ(count("SELECT count(DISTINCT split_mode || lazy_mode) FROM results"), 4);
    EXPECT_EQ(count("SELECT count(*) FROM loads"), 4) << "each split and lazy mode is a load of its own";
    EXPECT_EQ(count("SELECT count(*) FROM llama_bench WHERE split_mode = 'none' AND lazy_mode = 'on'"), 2);
    EXPECT_EQ(run_llmsweep("run -m " + model() + " -sm diagonal -q" + db_arg()).exit_code, 2);
}

// -ot reaches llama.cpp's loader: a pattern that matches tensors loads, one that matches none, or names a buffer
// type this build lacks, fails its point with the reason (the sweep goes on); a pattern that is no regular
// expression is a usage error.
TEST_F(RunTest, TensorOverridesReachTheLoaderAndBadOnesFailTheirPoint) {
    const auto r = run_llmsweep("run -m " + model() +
                                " -ot 'blk\\.0\\.=CPU,nomatch_xyz=CPU,blk=NOPE' -p 8 -n 2 -r 1 "
                                "-t 1 -q" +
                                db_arg());
    EXPECT_EQ(r.exit_code, 0) << r.err; // the sweep goes on past its failed points
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE override_tensor = 'blk\\.0\\.=CPU' AND status = 'ok'"), 2);
    EXPECT_NE(text("SELECT error FROM results WHERE override_tensor = 'nomatch_xyz=CPU'")
                  .find("the override pattern 'nomatch_xyz' matches no tensor of the model"),
              std::string::npos);
    EXPECT_NE(text("SELECT error FROM results WHERE override_tensor = 'blk=NOPE'").find("no buffer type 'NOPE'"),
              std::string::npos);
    EXPECT_EQ(count("SELECT count(*) FROM llama_bench WHERE tensor_buft_overrides = 'blk\\.0\\.=CPU'"), 2);
    expect_usage_error(run_llmsweep("run -m " + model() + " -ot '(=CPU' -q" + db_arg()), "not a regular expression");
    expect_usage_error(run_llmsweep("run -m " + model() + " -ot 'blk' -q" + db_arg()), "PATTERN=BUFFER_TYPE");
}

// -dev and -ts: a device this build lacks fails the point with the devices it has; a split that is not
// proportions is a usage error; "none" and "auto" run on the CPU.
TEST_F(RunTest, DevicesAndTensorSplitsAreLoadSettings) {
    const auto r =
        run_llmsweep("run -m " + model() + " -dev auto,none,CUDA0 -ts 3/1 -p 8 -n 2 -r 1 -t 1 -q" + db_arg());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok' AND tensor_split = '3.00/1.00'"), 4);
    EXPECT_NE(text("SELECT error FROM results WHERE devices = 'CUDA0'").find("no device 'CUDA0'"), std::string::npos);
    expect_usage_error(run_llmsweep("run -m " + model() + " -ts 3/x -q" + db_arg()), "--tensor-split");
    expect_usage_error(run_llmsweep("run -m " + model() + " -fitt 512 -q" + db_arg()), "--engine llama-bench");
}

// GPU layer counts that mean the same on the model are one setting, and the sweep says so before it starts.
TEST_F(RunTest, GpuLayerCountsThatMeanTheSameAreNamed) {
    const auto r = run_llmsweep("run -m " + model() + " -ngl 1,3,99 -p 8 -n 2 -t 1 --dry-run" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.err.find("note: -ngl 3,99 all offload every layer of tiny.gguf (2 layers and the output)"),
              std::string::npos)
        << r.err;
    const auto one = run_llmsweep("run -m " + model() + " -ngl 1,2 -p 8 -n 2 -t 1 --dry-run" + db_arg());
    EXPECT_EQ(one.err.find("note:"), std::string::npos) << "1 and 2 of 3 are different settings: " << one.err;
}

// -rpc: llama.cpp's rpc-server from the same source, on 127.0.0.1; the model's layers go to its device. A server
// that does not answer fails the points with the reason, and nothing hangs.
TEST_F(RunTest, RpcServersTakeTheLayers) {
    if (std::string(LLMSWEEP_RPC_SERVER).empty()) GTEST_SKIP() << "this llama.cpp build has no rpc-server (GGML_RPC)";
    const int port = test::free_tcp_port();
    ChildProcess server({LLMSWEEP_RPC_SERVER, "-H", "127.0.0.1", "-p", std::to_string(port)});
    ASSERT_TRUE(test::wait_for_tcp_port(port, 10)) << "rpc-server did not start listening";
    const std::string address = "127.0.0.1:" + std::to_string(port);
    const auto r =
        run_llmsweep("run -m " + model() + " -rpc " + address + " -ngl 0,-1 -p 8 -n 2 -r 1 -t 1 -q" + db_arg());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(count("SELECT count(*) FROM results WHERE status = 'ok'"), 4);
    EXPECT_EQ(
        count("SELECT count(*) FROM loads WHERE n_gpu_layers = -1 AND model_buffers LIKE '%RPC0[" + address + "]%'"), 1)
        << "all layers on the server's device";
    EXPECT_EQ(count("SELECT count(*) FROM loads WHERE n_gpu_layers = 0 AND model_buffers NOT LIKE '%RPC0%'"), 1);
    EXPECT_NE(text("SELECT spec_json FROM runs").find("\"rpc\":\"" + address + "\""), std::string::npos);
    EXPECT_EQ(text("SELECT backends FROM runs"), "RPC") << "as llama-bench names what it used";
    // -ot reaches llama.cpp's loader: with no layer offloaded, block 0's tensors alone go to the server's buffer.
    const std::string device = "RPC0[" + address + "]";
    const auto overridden =
        run_llmsweep("run -m " + model() + " -rpc " + address + " -ngl 0 -ot 'blk\\.0\\.=" + device +
                     "' -p 8 -n 2 -r 1 -t 1 -q --db " + shell_quote(dir_ / "ot.db"));
    ASSERT_EQ(overridden.exit_code, 0) << overridden.err;
    {
        store::Database db((dir_ / "ot.db").string(), store::Database::Mode::existing);
        store::Statement buffers(db, "SELECT model_buffers FROM loads");
        ASSERT_TRUE(buffers.step());
        const std::string where = buffers.column_text(0);
        EXPECT_NE(where.find(device), std::string::npos) << where;
        EXPECT_NE(where.find("CPU_Mapped"), std::string::npos) << "the other blocks stay on the CPU: " << where;
    }
    if (!std::string(LLMSWEEP_LLAMA_BENCH).empty()) {
        // The llama-bench engine hands the server to llama-bench, which reports the RPC backend it used.
        const auto engine = run_llmsweep("run -m " + model() + " --engine llama-bench --llama-bench " +
                                         shell_quote(LLMSWEEP_LLAMA_BENCH) + " --mode split -rpc " + address +
                                         " -p 8 -n 2 -r 1 -t 1 -q --db " + shell_quote(dir_ / "engine.db"));
        ASSERT_EQ(engine.exit_code, 0) << engine.err;
        store::Database db((dir_ / "engine.db").string(), store::Database::Mode::existing);
        store::Statement used(db, "SELECT count(*) FROM llama_bench WHERE backends = 'RPC'");
        ASSERT_TRUE(used.step());
        EXPECT_EQ(used.column_int(0), 2);
    }

    const int closed = test::free_tcp_port();
    const auto refused = run_llmsweep("run -m " + model() + " -rpc 127.0.0.1:" + std::to_string(closed) +
                                      " -p 8 -n 2 -r 1 -t 1 -q --db " + shell_quote(dir_ / "refused.db"));
    // Its one point failed, so the run measured nothing: stored, and said in one line with the reason.
    test::expect_one_line_error(refused, "does not answer");
    store::Database db((dir_ / "refused.db").string(), store::Database::Mode::existing);
    store::Statement error(db, "SELECT error FROM results");
    ASSERT_TRUE(error.step());
    EXPECT_NE(error.column_text(0).find("does not answer"), std::string::npos) << error.column_text(0);
    expect_usage_error(run_llmsweep("run -m " + model() + " -rpc localhost -q" + db_arg()), "HOST:PORT");
}

} // namespace
} // namespace llmsweep
