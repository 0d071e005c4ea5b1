#pragma once
// A sweep as Slurm jobs (llmsweep slurm): a job array of N tasks, task K running shard K of the sweep into a
// database of its own, and a job after it that merges the shards and writes the report. The scripts are text
// written here; the CLI writes them into a folder and submits them.

#include <cstdint>
#include <string>
#include <vector>

namespace llmsweep::sweep {

struct SlurmJobs {
    std::string llmsweep; // the binary the tasks run (absolute)
    std::string spec;     // the TOML sweep file (absolute)
    std::string dir;      // where the scripts, the shards' databases, the logs and the report go (absolute)
    int64_t shards = 1;
    std::string partition, time;          // #SBATCH --partition, --time, when given
    std::vector<std::string> sbatch_args; // more #SBATCH lines (--account=..., --mem=...)
    std::string name;                     // the jobs' name
};

// Throws UsageError for a Slurm option that cannot be a #SBATCH line (whitespace or a control character).
void check(const SlurmJobs& jobs);

// array.sh: task SLURM_ARRAY_TASK_ID runs `llmsweep run SPEC --shard (ID+1)/N --db DIR/shard-(ID+1).db`.
std::string array_script(const SlurmJobs& jobs);
// merge.sh: merges the shards' databases that are there into DIR/merged.db, writes DIR/report, and names the
// shards that are missing (exit 1), so that they can be submitted again.
std::string merge_script(const SlurmJobs& jobs);
// The sbatch commands that submit them (what `llmsweep slurm` runs; submit.sh holds them for --dry-run): the
// array, then the merge after every task of it has ended, successful or not (so that it can say what is missing).
std::vector<std::string> array_sbatch(const SlurmJobs& jobs);
std::vector<std::string> merge_sbatch(const SlurmJobs& jobs, const std::string& array_job_id);
std::string submit_script(const SlurmJobs& jobs);

} // namespace llmsweep::sweep
