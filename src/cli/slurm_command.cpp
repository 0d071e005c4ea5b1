#include "cli/command.hpp"
#include "cli/format.hpp"
#include "core/child_process.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "engine/system_info.hpp"
#include "sweep/plan.hpp"
#include "sweep/slurm.hpp"
#include "sweep/spec.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <memory>

namespace llmsweep::cli {
namespace {

struct SlurmArgs {
    std::string spec_file;
    int64_t shards = 0;
    std::string partition, time, out;
    std::vector<std::string> sbatch_args;
    bool dry_run = false;
};

void write_script(const std::filesystem::path& path, const std::string& text) {
    std::ofstream file(path, std::ios::trunc);
    if (!(file << text) || !file.flush()) throw Error(fmt::format("cannot write {}", path.string()));
    std::filesystem::permissions(path, std::filesystem::perms::owner_exec | std::filesystem::perms::group_exec,
                                 std::filesystem::perm_options::add);
}

// Runs sbatch and returns the job id it printed (--parsable: ID or ID;CLUSTER).
std::string submit(const std::vector<std::string>& command) {
    ChildProcess sbatch(command);
    const std::string out = sbatch.read_all(120);
    const auto exit = sbatch.finish();
    const std::string id = out.substr(0, out.find_first_of(";\n"));
    if (exit.exit_code != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos)
        throw Error(fmt::format("sbatch failed: {}", sbatch.death_reason()));
    return id;
}

void run_slurm(const SlurmArgs& args) {
    namespace fs = std::filesystem;
    if (!fs::is_regular_file(args.spec_file))
        throw UsageError(fmt::format("sweep file '{}' does not exist", args.spec_file));
    sweep::SweepSpec spec;
    sweep::read_toml(args.spec_file, spec);
    sweep::validate(spec);
    sweep::check_shard_count(args.shards, sweep::tests_of(spec).size(), fmt::format("--shards {}", args.shards));
    // Every shard is planned here, so that a sweep that cannot be split N ways fails now, not on the cluster.
    for (int64_t k = 1; k <= args.shards; ++k) {
        spec.shard = std::pair{k, args.shards};
        sweep::make_plan(spec, 1);
    }
    const fs::path spec_path = fs::absolute(args.spec_file);
    const fs::path dir = fs::absolute(args.out.empty() ? "slurm-" + spec_path.stem().string() : args.out);
    sweep::SlurmJobs jobs{.llmsweep = fs::read_symlink("/proc/self/exe").string(),
                          .spec = spec_path.string(),
                          .dir = dir.string(),
                          .shards = args.shards,
                          .partition = args.partition,
                          .time = args.time,
                          .sbatch_args = args.sbatch_args,
                          .name = "llmsweep-" + spec_path.stem().string()};
    sweep::check(jobs);
    if (fs::exists(dir) && !fs::is_directory(dir))
        throw UsageError(fmt::format("--out {}: a file is there, and the scripts, databases and logs need a folder; "
                                     "name another",
                                     escape::terminal(dir.string())));
    fs::create_directories(dir);
    write_script(dir / "array.sh", sweep::array_script(jobs));
    write_script(dir / "merge.sh", sweep::merge_script(jobs));
    write_script(dir / "submit.sh", sweep::submit_script(jobs));
    if (args.dry_run) {
        say("wrote {0}/array.sh ({1} shards), {0}/merge.sh and {0}/submit.sh; run {0}/submit.sh to submit "
            "them\n",
            escape::terminal(dir.string()), args.shards);
        return;
    }
    if (find_on_path("sbatch").empty())
        throw UsageError("sbatch is not on PATH: run this on a Slurm login node, or write the scripts with --dry-run");
    const std::string array = submit(sweep::array_sbatch(jobs));
    const std::string merge = submit(sweep::merge_sbatch(jobs, array));
    say("submitted job array {} ({} shards into {}/shard-K.db) and merge job {} after it\n", array, args.shards,
        escape::terminal(dir.string()), merge);
    say("the report will be in {0}/report ({0}/merge.log says how the merge went, and which shards are "
        "missing if any)\n",
        escape::terminal(dir.string()));
}

} // namespace

Command add_slurm_command(CLI::App& app) {
    auto args = std::make_shared<SlurmArgs>();
    CLI::App* sub = app.add_subcommand(
        "slurm", "Run a sweep as a Slurm job array, one shard per task, then merge the shards and report");
    sub->footer("Each task runs `llmsweep run SPEC --shard K/N` into DIR/shard-K.db; a job after them all merges the\n"
                "shards into DIR/merged.db and writes DIR/report. A failed task resumes when submitted again.\n\n"
                "Examples:\n"
                "  llmsweep slurm sweep.toml --shards 8 --partition gpu --time 2:00:00\n"
                "  llmsweep slurm sweep.toml --shards 4 --sbatch-arg=--gres=gpu:1 --dry-run");
    sub->add_option("spec", args->spec_file, "TOML sweep file")->required();
    sub->add_option("--shards", args->shards, "Tasks of the job array: the sweep's shards")
        ->required()
        ->check(CLI::Range(int64_t{1}, int64_t{100000}));
    sub->add_option("--partition", args->partition, "Slurm partition (#SBATCH --partition)");
    sub->add_option("--time", args->time, "Time limit of each task (#SBATCH --time), e.g. 1:00:00");
    sub->add_option("--sbatch-arg", args->sbatch_args, "Another #SBATCH option, as one word (--mem=8G); repeatable")
        ->allow_extra_args(false);
    sub->add_option("--out", args->out, "Folder of the scripts, databases, logs and report (default slurm-SPEC)");
    sub->add_flag("--dry-run", args->dry_run, "Write the scripts without submitting them");
    return {sub, [args] { run_slurm(*args); }};
}

} // namespace llmsweep::cli
