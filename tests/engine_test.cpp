#include "core/error.hpp"
#include "engine/host_activity.hpp"
#include "engine/memory_map.hpp"
#include "engine/model_check.hpp"
#include "engine/page_cache.hpp"
#include "engine/system_info.hpp"
#include "llama_bench/command.hpp"
#include "test_support.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

namespace llmsweep::engine {
using namespace llama_bench;
namespace {

TEST(HostInfo, DescribesThisMachine) {
    const HostInfo host = host_info();
    EXPECT_FALSE(host.cpu_model.empty());
    EXPECT_EQ(host.logical_cores, sysconf(_SC_NPROCESSORS_ONLN));
    EXPECT_GE(host.physical_cores, 1);
    EXPECT_LE(host.physical_cores, host.logical_cores);
    EXPECT_GT(host.memory_bytes, 64ull << 20);
    EXPECT_NE(host.kernel.find("Linux"), std::string::npos);
}

TEST(BuildInfo, NamesTheLinkedLlamaCppAndItsCpuBackend) {
    const BuildInfo build = build_info();
    EXPECT_FALSE(build.llama_commit.empty());
    EXPECT_NE(build.llama_commit, "unknown");
    EXPECT_FALSE(build.llmsweep_version.empty());
    EXPECT_NE(std::find(build.backends.begin(), build.backends.end(), "CPU"), build.backends.end());
    ASSERT_FALSE(build.devices.empty());
    const auto json = to_json(build);
    EXPECT_EQ(json.at("llama_commit"), build.llama_commit);
    EXPECT_TRUE(json.at("devices").is_array());
}

TEST(CheckModel, MissingFileIsAnErrorWithLlamaCppsReason) {
    try {
        check_model({.model_path = "/nonexistent/model.gguf"});
        FAIL() << "expected Error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/model.gguf"), std::string::npos);
    }
}

TEST(CheckModel, FileThatIsNotGgufIsAnError) {
    test::TempDir dir;
    std::ofstream(dir / "fake.gguf") << "this is not a model";
    EXPECT_THROW(check_model({.model_path = (dir / "fake.gguf").string()}), Error);
}

// --- Driving llama-bench -------------------------------------------------------------------------------------

std::vector<domain::Point> grid(const std::vector<int64_t>& threads, const std::vector<int64_t>& n_prompt,
                                const std::vector<int64_t>& n_gen) {
    std::vector<domain::Point> points;
    for (int64_t t : threads) {
        for (int64_t p : n_prompt) points.push_back({{"m.gguf"}, {.threads = t}, {.n_prompt = p}});
        for (int64_t g : n_gen) points.push_back({{"m.gguf"}, {.threads = t}, {.n_gen = g}});
    }
    return points;
}

std::vector<const domain::Point*> pointers(const std::vector<domain::Point>& points) {
    std::vector<const domain::Point*> out;
    for (const auto& p : points) out.push_back(&p);
    return out;
}

std::string joined(const std::vector<std::string>& command) {
    std::string text;
    for (const auto& arg : command) text += (text.empty() ? "" : " ") + arg;
    return text;
}

TEST(LlamaBenchCommand, OneProcessRunsAGridButNotPartOfOne) {
    const auto points = grid({1, 2}, {64, 128}, {32});
    EXPECT_TRUE(runs_exactly(pointers(points)));
    auto part = pointers(points);
    part.pop_back(); // llama-bench would run tg32 with 2 threads too
    EXPECT_FALSE(runs_exactly(part));
}

TEST(LlamaBenchCommand, CombinedTestsAreItsPg) {
    auto points = grid({1}, {64}, {32});
    auto combined = points.front();
    combined.test = {64, 32, 0};
    points.push_back(combined);
    const LlamaBenchCli current{"/lb", true, false, true};
    const std::string command = joined(llama_bench_command(current, pointers(points), {3, 0}));
    EXPECT_NE(command.find("-p 64 -n 32 -pg 64,32 -d 0"), std::string::npos) << command;
    EXPECT_TRUE(runs_exactly(pointers(points))) << "pp64, tg32 and pp64+tg32: what llama-bench runs";
    points.pop_back();
    EXPECT_EQ(joined(llama_bench_command(current, pointers(points), {3, 0})).find("-pg"), std::string::npos);
}

TEST(LlamaBenchCommand, KvOffloadAndEmbeddingsOnlyWhereSwept) {
    auto points = grid({1}, {64}, {32});
    const LlamaBenchCli current{"/lb", true, false, true};
    const std::string plain = joined(llama_bench_command(current, pointers(points), {1, 0}));
    EXPECT_EQ(plain.find("-nkvo"), std::string::npos) << "an older llama-bench without the flag still runs it";
    EXPECT_EQ(plain.find("-embd"), std::string::npos);
    auto both = points;
    for (auto p : points) {
        p.context.no_kv_offload = true;
        p.context.embeddings = true;
        both.push_back(p);
    }
    // (not a grid llama-bench runs exactly: embeddings only with nkvo)
    const std::string command = joined(llama_bench_command(current, pointers(both), {1, 0}));
    EXPECT_NE(command.find("-nkvo 0,1 -embd 0,1"), std::string::npos) << command;
    EXPECT_FALSE(runs_exactly(pointers(both)));
    EXPECT_NE(both.back().key(domain::Mode::split).find(";nkvo=1;embd=1"), std::string::npos);
    EXPECT_EQ(points.front().key(domain::Mode::split).find("nkvo"), std::string::npos) << "old keys unchanged";
}

TEST(LlamaBenchCommand, CpuPlacementOnlyWhereSet) {
    auto points = grid({2}, {64}, {32});
    const LlamaBenchCli current{"/lb", true, false, true};
    const std::string plain = joined(llama_bench_command(current, pointers(points), {1, 0}));
    for (const char* flag : {"-C ", "--cpu-strict", "--poll", "--prio"})
        EXPECT_EQ(plain.find(flag), std::string::npos) << flag;
    for (auto& p : points) {
        p.context.cpu_mask = "0x3";
        p.context.cpu_strict = true;
        p.context.poll = 0;
        p.run.prio = 2;
        p.run.delay = 5;
    }
    const std::string command = joined(llama_bench_command(current, pointers(points), {1, 0}));
    EXPECT_NE(command.find("-C 0x3 --cpu-strict 1 --poll 0 --prio 2 --delay 5"), std::string::npos) << command;
    EXPECT_NE(points.front().key(domain::Mode::split).find(";cpu_mask=0x3;cpu_strict=1;poll=0"), std::string::npos);
}

TEST(LlamaBenchCommand, PlacementOfTheWeightsOnlyWhereSet) {
    auto points = grid({1}, {64}, {32});
    const LlamaBenchCli current{"/lb", true, false, true};
    const std::string plain = joined(llama_bench_command(current, pointers(points), {1, 0}));
    for (const char* flag : {"-nopo", "-sm", "-mg", "--no-host", "-lzm", "-ncmoe"})
        EXPECT_EQ(plain.find(std::string(flag) + " "), std::string::npos) << flag;
    for (auto& p : points) {
        p.context.no_op_offload = true;
        p.load.split_mode = "none";
        p.load.main_gpu = 1;
        p.load.no_host = true;
        p.load.lazy_mode = "on";
        p.load.n_cpu_moe = 2;
    }
    const std::string command = joined(llama_bench_command(current, pointers(points), {1, 0}));
    EXPECT_NE(command.find("-nopo 1 -sm none -mg 1 --no-host 1 -lzm on -ncmoe 2"), std::string::npos) << command;
    EXPECT_NE(points.front().key(domain::Mode::split).find(";nopo=1;sm=none;mg=1;no_host=1;lzm=on"), std::string::npos);
}

// -dev, -ts, -ot, the fit options, --numa and -rpc: as llama-bench spells them, only where set.
TEST(LlamaBenchCommand, DevicesSplitsOverridesAndFittingOnlyWhereSet) {
    auto points = grid({1}, {64}, {32});
    const LlamaBenchCli current{"/lb", true, false, true};
    const std::string plain = joined(llama_bench_command(current, pointers(points), {1, 0}));
    for (const char* flag : {"-dev", "-ts", "-ot", "-fitt", "-fitc", "--numa", "-rpc"})
        EXPECT_EQ(plain.find(std::string(" ") + flag + " "), std::string::npos) << flag;
    for (auto& p : points) {
        p.load.devices = "CUDA0/CUDA1";
        p.load.tensor_split = "3.00/1.00";
        p.load.override_tensor = "ffn_.*_exps=CPU";
        p.load.fit_target = 512;
        p.load.fit_min_ctx = 4096;
        p.run.numa = "distribute";
        p.run.rpc = "127.0.0.1:50052";
    }
    const std::string command = joined(llama_bench_command(current, pointers(points), {1, 0}));
    EXPECT_NE(command.find("-dev CUDA0/CUDA1 -ts 3.00/1.00 -ot ffn_.*_exps=CPU -fitt 512 -fitc 4096 --numa "
                           "distribute -rpc 127.0.0.1:50052"),
              std::string::npos)
        << command;
    EXPECT_NE(points.front().key(domain::Mode::split).find(";dev=CUDA0/CUDA1;ts=3.00/1.00;ot=ffn_.*_exps=CPU;fitt=512"),
              std::string::npos);
}

TEST(LlamaBenchCommand, HandsOnAnyOtherArgumentLast) {
    const auto points = grid({1}, {64}, {32});
    const LlamaBenchCli current{"/lb", true, false, true};
    const std::string command =
        joined(llama_bench_command(current, pointers(points), {1, 0, {"-fitt", "512", "--progress"}}));
    EXPECT_NE(command.find("--no-warmup -fitt 512 --progress"), std::string::npos) << command;
}

TEST(LlamaBenchCommand, SpeaksEachBuildsFlags) {
    const auto points = grid({1, 2}, {64}, {32});
    const LlamaBenchCli current{"/lb", true, false, true};
    EXPECT_EQ(joined(llama_bench_command(current, pointers(points), {3, 0})),
              "/lb -m m.gguf -o jsonl -r 3 -lm auto -p 64 -n 32 -d 0 -ngl -1 -t 1,2 -b 2048 -ub 512 -ctk f16 -ctv f16 "
              "-fa auto --no-warmup");
    // An older build: -mmp instead of -lm, -fa 0|1, and no flash attention auto.
    const LlamaBenchCli older{"/old", false, true, false};
    auto off = points;
    for (auto& p : off) {
        p.load.load_mode = domain::LoadMode::none;
        p.context.flash_attn = "on";
    }
    const std::string command = joined(llama_bench_command(older, pointers(off), {1, 1}));
    EXPECT_NE(command.find("-mmp 0"), std::string::npos) << command;
    EXPECT_NE(command.find("-fa 1"), std::string::npos) << command;
    EXPECT_EQ(command.find("--no-warmup"), std::string::npos) << command;
    EXPECT_THROW(llama_bench_command(older, pointers(points), {1, 1}), UsageError) << "fa auto";
    for (auto& p : off) p.load.load_mode = domain::LoadMode::mlock;
    EXPECT_THROW(llama_bench_command(older, pointers(off), {1, 1}), UsageError) << "no mlock before -lm";
}

TEST(LlamaBenchCommand, ProbesTheRealLlamaBench) {
    if (std::string(LLMSWEEP_LLAMA_BENCH).empty()) GTEST_SKIP() << "no llama-bench";
    const LlamaBenchCli cli = probe_llama_bench(LLMSWEEP_LLAMA_BENCH);
    EXPECT_TRUE(cli.load_mode_flag);
    EXPECT_TRUE(cli.flash_attn_names);
    EXPECT_THROW(probe_llama_bench("/bin/true"), UsageError);
}

TEST(HostActivity, ReadsProcStatAsTheKernelWritesIt) {
    HostSample sample;
    ASSERT_TRUE(parse_proc_stat("cpu  100 5 20 800 7 3 2 9 4 0\ncpu0 50 2 10 400 3 1 1 4 2 0\n", sample));
    EXPECT_EQ(sample.busy_ticks, 100u + 5 + 20 + 3 + 2);
    EXPECT_EQ(sample.steal_ticks, 9u);
    EXPECT_EQ(sample.total_ticks, 100u + 5 + 20 + 800 + 7 + 3 + 2 + 9);
    EXPECT_FALSE(parse_proc_stat("intr 1 2 3\n", sample));
}

// A process spinning beside the "visit" is other work: about one core of it. Counted as the worker's (its
// CPU time handed in), it is not.
TEST(HostActivity, AnotherProcessSpinningIsOtherWorkAndTheWorkersOwnIsNot) {
    const HostSample start = sample_host();
    const pid_t spinner = fork();
    ASSERT_GE(spinner, 0);
    if (spinner == 0) {
        const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(800);
        while (std::chrono::steady_clock::now() < end) {}
        _exit(0);
    }
    int status = 0;
    rusage usage{};
    ASSERT_EQ(wait4(spinner, &status, 0, &usage), spinner);
    const HostSample end = sample_host();
    const double spun = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                        static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    const VisitActivity other = activity_between(start, end, 0.0);
    EXPECT_GT(other.wall_s, 0.7);
    // The spinner's share of a core (less than one when the tests run in parallel on few cores).
    const double spun_cores = spun / other.wall_s;
    ASSERT_GT(spun_cores, 0.2) << "the spinner hardly ran";
    EXPECT_GT(other.other_cpu_cores, 0.9 * spun_cores) << "the spinner's time is other work";
    const VisitActivity own = activity_between(start, end, spun);
    EXPECT_LT(own.other_cpu_cores, other.other_cpu_cores - 0.9 * spun_cores)
        << "the worker's own time is not other work";
    EXPECT_GE(other.steal_percent, 0.0);
    EXPECT_GT(other.load_average, 0.0);
}

TEST(MemoryMap, ReadsTheResidentSplitOfProcStatus) {
    const auto split = parse_rss_split("Name:\tllmsweep\nVmHWM:\t  180000 kB\nVmRSS:\t  170000 kB\n"
                                       "RssAnon:\t  158700 kB\nRssFile:\t   10700 kB\nRssShmem:\t       0 kB\n");
    ASSERT_TRUE(split.has_value());
    EXPECT_EQ(split->anon_kb, 158700);
    EXPECT_EQ(split->file_kb, 10700);
    EXPECT_FALSE(parse_rss_split("Name:\tx\nRssAnon:\t 1 kB\n").has_value()) << "RssFile missing";
    const auto self = rss_split();
    ASSERT_TRUE(self.has_value());
    EXPECT_GT(self->anon_kb + self->file_kb, 0);
}

TEST(MemoryMap, ReadsSmapsRollupAsTheKernelWritesIt) {
    const auto state = parse_smaps_rollup("55d5-7ffd ---p 00000000 00:00 0  [rollup]\n"
                                          "Rss:               12756 kB\nPss:                 487 kB\n"
                                          "Anonymous:          2116 kB\nAnonHugePages:      2048 kB\n"
                                          "ShmemPmdMapped:        0 kB\nFilePmdMapped:      8192 kB\n");
    ASSERT_TRUE(state.has_value());
    EXPECT_EQ(state->rss_kb, 12756);
    EXPECT_EQ(state->anon_kb, 2116);
    EXPECT_EQ(state->anon_huge_kb, 2048);
    EXPECT_EQ(state->file_pmd_kb, 8192);
    EXPECT_FALSE(parse_smaps_rollup("").has_value());
    // This process, as the worker reads itself.
    const auto self = mapping_state();
    ASSERT_TRUE(self.has_value());
    EXPECT_GT(self->rss_kb, 0);
    EXPECT_LE(self->anon_kb, self->rss_kb);
    const std::string mode = transparent_huge_pages_mode();
    EXPECT_TRUE(mode.empty() || mode == "always" || mode == "madvise" || mode == "never") << mode;
}

// Bytes this process has read through read(2) and its kin, page cache or not (/proc/self/io's rchar).
uint64_t bytes_read_so_far() {
    std::ifstream io("/proc/self/io");
    std::string key;
    uint64_t value = 0;
    while (io >> key >> value)
        if (key == "rchar:") return value;
    return 0;
}

TEST(PageCache, WarmingReadsOnlyThePagesThatAreNotResident) {
    test::TempDir dir;
    const std::string path = (dir / "weights.bin").string();
    const uint64_t size = 16ull << 20;
    {
        std::ofstream out(path, std::ios::binary);
        const std::string mib(1 << 20, 'w');
        for (int i = 0; i < 16; ++i) out << mib;
    }
    evict_from_page_cache(path);
    if (resident_bytes(path) == size)
        GTEST_SKIP() << "this file system keeps the file's pages (tmpfs?): " << dir.path();
    warm_page_cache(path);
    EXPECT_EQ(resident_bytes(path), size) << "warmed: every page resident";

    // Warm already: no read of the file at all.
    const uint64_t before = bytes_read_so_far();
    warm_page_cache(path);
    EXPECT_LT(bytes_read_so_far() - before, 1u << 20);

    // The second half evicted: that half is read, and the whole file is resident again.
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    ASSERT_GE(fd, 0);
    posix_fadvise(fd, static_cast<off_t>(size / 2), 0, POSIX_FADV_DONTNEED);
    close(fd);
    if (resident_bytes(path) == size) GTEST_SKIP() << "the kernel kept the evicted half";
    const uint64_t half = bytes_read_so_far();
    warm_page_cache(path);
    const uint64_t read = bytes_read_so_far() - half;
    EXPECT_GE(read, size / 2 - (1u << 20));
    EXPECT_LE(read, size / 2 + (1u << 20));
    EXPECT_EQ(resident_bytes(path), size);
}

} // namespace
} // namespace llmsweep::engine
