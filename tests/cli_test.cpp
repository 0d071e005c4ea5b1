// End-to-end tests of the llmsweep binary: exit codes, messages and files, as a user sees them.

#include "engine/memory_map.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

namespace llmsweep {
namespace {

using test::run_llmsweep;
using test::run_shell;
using test::shell_quote;
using test::TempDir;
namespace fs = std::filesystem;

using test::entries_in;
using test::expect_one_line_error;

// docs/usage.md ends with every command's --help, as `llmsweep usage` prints it: an option added, renamed or
// described anew without scripts/usage.sh fails here.
TEST(Cli, UsageDocumentIsCurrent) {
    const auto usage = run_llmsweep("usage");
    ASSERT_EQ(usage.exit_code, 0) << usage.err;
    const std::string doc = test::read_file(std::filesystem::path(LLMSWEEP_SOURCE_DIR) / "docs/usage.md");
    ASSERT_GE(doc.size(), usage.out.size());
    EXPECT_EQ(doc.substr(doc.size() - usage.out.size()), usage.out) << "regenerate with: scripts/usage.sh";
    for (const char* command : {"run", "report", "import", "merge", "slurm", "synth", "check", "info", "schema"})
        EXPECT_NE(usage.out.find(fmt::format("### `llmsweep {}`", command)), std::string::npos) << command;
    EXPECT_EQ(usage.out.find("llmsweep worker"), std::string::npos) << "the hidden worker command stays hidden";
}

TEST(Cli, VersionFlagNamesLlamaCppCommit) {
    const auto r = run_llmsweep("--version");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("llmsweep "), std::string::npos);
    EXPECT_NE(r.out.find("llama.cpp "), std::string::npos);
    EXPECT_NE(r.out.find("backends: "), std::string::npos);
}

TEST(Cli, VersionJsonParses) {
    const auto r = run_llmsweep("version --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto json = nlohmann::json::parse(r.out);
    EXPECT_TRUE(json.at("llama_commit").is_string());
    EXPECT_TRUE(json.at("backends").is_array());
}

TEST(Cli, InfoJsonParsesAndHasHostAndBuild) {
    const auto r = run_llmsweep("info --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto json = nlohmann::json::parse(r.out);
    EXPECT_GE(json.at("host").at("logical_cores").get<int>(), 1);
    EXPECT_GE(json.at("host").at("physical_cores").get<int>(), 1);
    EXPECT_EQ(json.at("host").at("thp_mode").get<std::string>(), engine::transparent_huge_pages_mode());
    EXPECT_GT(json.at("host").at("memory_bytes").get<uint64_t>(), 0u);
    EXPECT_FALSE(json.at("host").at("cpu_model").get<std::string>().empty());
    EXPECT_FALSE(json.at("build").at("llama_commit").get<std::string>().empty());
    EXPECT_FALSE(json.at("build").at("devices").empty());
}

TEST(Cli, InfoTextShowsTheSameFacts) {
    const auto r = run_llmsweep("info");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    for (const char* label : {"CPU:", "cores:", "memory:", "OS:", "llama.cpp ", "backends:"})
        EXPECT_NE(r.out.find(label), std::string::npos) << label;
}

TEST(Cli, UnknownCommandOrFlagIsAUsageError) {
    auto r = run_llmsweep("frobnicate");
    expect_one_line_error(r, "frobnicate");
    EXPECT_EQ(r.exit_code, 2);
    r = run_llmsweep("synth --bogus");
    expect_one_line_error(r, "--bogus");
    EXPECT_NE(r.err.find("llmsweep synth --help"), std::string::npos) << r.err;
    EXPECT_EQ(r.exit_code, 2);
    r = run_llmsweep("check model.gguf -n 0");
    expect_one_line_error(r, "--tokens");
    EXPECT_EQ(r.exit_code, 2);
}

// A mistyped command or option gets the one that was meant; llama-bench's options that llmsweep spells otherwise
// or lacks say what to use; the global -v may follow the command.
TEST(Cli, MessagesSayWhatWasMeant) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"rport --db x.db", "'rport' is not a command (did you mean report?)"},
        {"run --mmpa 0,1 -m x.gguf", "llmsweep run has no option --mmpa (did you mean --mmap?)"},
        {"run -m x.gguf --no-kv-ofload 1", "(did you mean --no-kv-offload?)"},
        {"report --fromat md", "llmsweep report has no option --fromat (did you mean --format?)"},
        {"run -m x.gguf --no-warmup", "use --warmup 0"},
        {"run --list-devices", "'llmsweep info' lists the devices"},
        {"run -m x.gguf -o json", "'llmsweep bench' takes llama-bench's command line"},
        {"run -m x.gguf -hf org/model", "llmsweep downloads nothing"},
        {"report --out - --db x.db", "not stdout"},
    };
    for (const auto& [command, says] : cases) {
        const auto r = run_llmsweep(command);
        EXPECT_EQ(r.exit_code, 2) << command;
        expect_one_line_error(r, says);
    }
    TempDir dir;
    const auto verbose = run_llmsweep("run -v -m " + shell_quote(dir / "missing.gguf") + " --dry-run");
    expect_one_line_error(verbose, "missing.gguf");
}

TEST(Cli, HelpTeachesWithExamples) {
    const auto r = run_llmsweep("synth --help");
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_NE(r.out.find("--preset"), std::string::npos);
    EXPECT_NE(r.out.find("Examples:"), std::string::npos);
}

TEST(Cli, SynthThenCheckEndToEnd) {
    TempDir dir;
    const auto model = dir / "tiny.gguf";
    const auto synth = run_llmsweep("synth --preset tiny --type q8_0 -o " + shell_quote(model));
    ASSERT_EQ(synth.exit_code, 0) << synth.err;
    EXPECT_NE(synth.out.find("wrote "), std::string::npos);
    const auto check = run_llmsweep("check " + shell_quote(model) + " -n 8 --json");
    ASSERT_EQ(check.exit_code, 0) << check.err;
    const auto json = nlohmann::json::parse(check.out);
    EXPECT_TRUE(json.at("logits_finite").get<bool>());
    EXPECT_EQ(json.at("n_tokens").get<int>(), 8);
    EXPECT_GT(json.at("avg_ts").get<double>(), 0.0);
}

TEST(Cli, SynthRefusesToReplaceAFileWithoutForce) {
    TempDir dir;
    const auto model = dir / "mine.gguf";
    std::ofstream(model) << "precious";
    expect_one_line_error(run_llmsweep("synth --preset tiny -o " + shell_quote(model)), "--force");
    EXPECT_EQ(test::read_file(model), "precious");
    EXPECT_EQ(run_llmsweep("synth --preset tiny --force -o " + shell_quote(model)).exit_code, 0);
    EXPECT_NE(test::read_file(model), "precious");
}

TEST(Cli, SynthBadInputsAreOneLineErrorsAndLeaveNoFile) {
    TempDir dir;
    const std::string out = " -o " + shell_quote(dir / "m.gguf");
    expect_one_line_error(run_llmsweep("synth --preset gpt-5" + out), "unknown preset 'gpt-5'");
    expect_one_line_error(run_llmsweep("synth" + out), "--preset");
    expect_one_line_error(run_llmsweep("synth --preset tiny --n-embd 66" + out), "not divisible");
    expect_one_line_error(run_llmsweep("synth --preset tiny --kv-heads 3" + out), "KV heads");
    expect_one_line_error(run_llmsweep("synth --preset tiny --n-ff 100 --type q4_0" + out), "--type f16");
    expect_one_line_error(run_llmsweep("synth --preset tiny --type q3_k" + out), "unknown weight type");
    EXPECT_EQ(run_llmsweep("synth --preset tiny --n-embd 66" + out).exit_code, 2);
    EXPECT_EQ(entries_in(dir.path()), 0u);
}

TEST(Cli, SynthIntoAFolderThatCannotBeWrittenFails) {
    expect_one_line_error(run_llmsweep("synth --preset tiny -o /nonexistent-llmsweep/m.gguf"), "cannot write");
}

TEST(Cli, SynthWriteFailureMidwayLeavesNothing) {
    // A 64 KiB file-size limit makes the write fail part-way through the tiny model's tensors.
    TempDir dir;
    const auto r = run_shell("trap '' XFSZ; ulimit -f 64; " + shell_quote(LLMSWEEP_BINARY) +
                             " synth --preset tiny --type f32 -o " + shell_quote(dir / "m.gguf"));
    expect_one_line_error(r, "cannot write");
    EXPECT_EQ(entries_in(dir.path()), 0u);
}

TEST(Cli, SynthOnAFullDiskSaysSoAndLeavesNothing) {
    // A 256 KiB tmpfs in a private mount namespace: too small for the tiny f32 model.
    TempDir dir;
    if (run_shell("unshare -rm true").exit_code != 0) GTEST_SKIP() << "no user namespaces to mount a small tmpfs";
    const std::string mount = shell_quote(dir.path());
    const auto r = run_shell("unshare -rm sh -c 'mount -t tmpfs -o size=256k tmpfs " + mount + " && " +
                             shell_quote(LLMSWEEP_BINARY) + " synth --preset tiny --type f32 -o " + mount +
                             "/m.gguf; rc=$?; ls -A " + mount + " >&2; exit $rc'");
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.err.find("free some space"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find(".gguf"), r.err.rfind(".gguf")) << "only the error may name a file:\n" << r.err;
}

TEST(Cli, SynthInterruptedByCtrlCLeavesNothing) {
    // The 500 MiB model takes seconds to write: interrupt it once its temporary file exists.
    TempDir dir;
    const auto r =
        run_shell(shell_quote(LLMSWEEP_BINARY) + " synth --preset qwen2.5-0.5b --type f16 -o " +
                  shell_quote(dir / "m.gguf") + " & pid=$!; " + "for i in $(seq 200); do ls -A " +
                  shell_quote(dir.path()) + " | grep -q partial && break; sleep 0.05; done; kill -INT $pid; wait $pid");
    EXPECT_EQ(r.exit_code, 130) << r.err;
    EXPECT_NE(r.err.find("interrupted"), std::string::npos) << r.err;
    EXPECT_EQ(entries_in(dir.path()), 0u);
}

TEST(Cli, CheckRejectsMissingAndNonGgufFiles) {
    expect_one_line_error(run_llmsweep("check /nonexistent.gguf"), "does not exist");
    TempDir dir;
    std::ofstream(dir / "notes.txt") << "hello";
    const auto r = run_llmsweep("check " + shell_quote(dir / "notes.txt"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("could not load"), std::string::npos) << r.err;
}

// llama.cpp explains a failed load in a line per function it unwinds; the error says them on one line, the cause
// first, joined by "; " (not in a line of "\n" escapes, as a terminal-safe rendering of the newlines had them).
TEST(Cli, ATruncatedModelIsRefusedInOneLineThatStartsWithLlamaCppsCause) {
    TempDir dir;
    const auto model = dir / "tiny.gguf";
    ASSERT_EQ(run_llmsweep("synth --preset tiny -o " + shell_quote(model)).exit_code, 0);
    const auto cut = dir / "cut.gguf";
    {
        std::ifstream in(model, std::ios::binary);
        std::string head(4096, '\0');
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        std::ofstream(cut, std::ios::binary) << head;
    }
    const auto r = run_llmsweep("check " + shell_quote(cut));
    expect_one_line_error(r, "could not load");
    const size_t cause = r.err.find("could not load");
    EXPECT_NE(r.err.find("failed to read", cause), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("; llama_model_load", cause), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("\\n"), std::string::npos) << r.err;
}

// An empty `--option=` is refused, not given the next argument as its value (`run --db= --dry-run` would have run a
// real sweep into a database named --dry-run).
TEST(Cli, AnEmptyOptionValueIsRefused) {
    for (const char* command :
         {"run -m x.gguf --db= --dry-run", "report --out= --no-charts", "slurm s.toml --sbatch-arg= --dry-run"}) {
        const auto r = run_llmsweep(command);
        EXPECT_EQ(r.exit_code, 2) << command;
        EXPECT_NE(r.err.find("is given no value"), std::string::npos) << command << ": " << r.err;
        EXPECT_FALSE(fs::exists("--dry-run")) << command;
        EXPECT_FALSE(fs::exists("--no-charts")) << command;
    }
}

// Usage errors that were accepted silently or failed with a filesystem error.
TEST(Cli, DuplicateSloBoundsAndAFileForSlurmsFolderAreUsageErrors) {
    TempDir dir;
    const auto slo =
        run_llmsweep("run --mode server --url http://127.0.0.1:9 -m x --slo ttft=1s,ttft=2s --dry-run --db " +
                     shell_quote(dir / "x.db"));
    EXPECT_EQ(slo.exit_code, 2) << slo.err;
    EXPECT_NE(slo.err.find("ttft is bounded twice"), std::string::npos) << slo.err;
    ASSERT_EQ(run_llmsweep("synth --preset tiny -o " + shell_quote(dir / "t.gguf")).exit_code, 0);
    std::ofstream(dir / "s.toml") << "model = \"" << (dir / "t.gguf").string() << "\"\nn_prompt = [16, 32]\n";
    std::ofstream(dir / "a-file") << "x";
    const auto slurm = run_llmsweep("slurm " + shell_quote(dir / "s.toml") + " --shards 2 --dry-run --out " +
                                    shell_quote(dir / "a-file"));
    EXPECT_EQ(slurm.exit_code, 2) << slurm.err;
    EXPECT_NE(slurm.err.find("a file is there"), std::string::npos) << slurm.err;
}

} // namespace
} // namespace llmsweep
