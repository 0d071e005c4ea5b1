#include "sweep/slurm.hpp"

#include "core/error.hpp"
#include "core/escape.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace llmsweep::sweep {
namespace {

std::string sbatch_lines(const SlurmJobs& j) {
    std::string lines;
    if (!j.partition.empty()) lines += "#SBATCH --partition=" + j.partition + "\n";
    if (!j.time.empty()) lines += "#SBATCH --time=" + j.time + "\n";
    for (const std::string& arg : j.sbatch_args) lines += "#SBATCH " + arg + "\n";
    return lines;
}

std::string words(const std::vector<std::string>& command) {
    std::vector<std::string> quoted;
    for (const std::string& word : command) quoted.push_back(escape::shell(word));
    return fmt::format("{}", fmt::join(quoted, " "));
}

} // namespace

void check(const SlurmJobs& j) {
    const auto one_line_word = [](const std::string& text, std::string_view what) {
        if (text.empty() ||
            std::any_of(text.begin(), text.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
            throw UsageError(fmt::format("{} '{}' cannot be a #SBATCH line: write it as one word without spaces "
                                         "(--sbatch-arg=--mem=4G)",
                                         what, escape::terminal(text)));
    };
    if (!j.partition.empty()) one_line_word(j.partition, "--partition");
    if (!j.time.empty()) one_line_word(j.time, "--time");
    for (const std::string& arg : j.sbatch_args) one_line_word(arg, "--sbatch-arg");
    if (j.shards < 1) throw UsageError("--shards must be 1 or more");
}

std::string array_script(const SlurmJobs& j) {
    return fmt::format(
        "#!/bin/bash\n"
        "# Written by llmsweep slurm: task K (from 1) of the job array runs shard K of {shards} of the sweep, "
        "a run of its\n"
        "# own in a database of its own (shard-K.db, its log shard-K.log). A task that failed or ran out of "
        "time resumes\n"
        "# where it stopped when submitted again (the same llmsweep slurm command, or: sbatch --array=K ... "
        "array.sh).\n"
        "{sbatch}"
        "set -euo pipefail\n"
        "shard=$SLURM_ARRAY_TASK_ID\n"
        "exec {llmsweep} run {spec} --shard \"$shard/{shards}\" --db {dir}/shard-\"$shard\".db\n",
        fmt::arg("shards", j.shards), fmt::arg("sbatch", sbatch_lines(j)),
        fmt::arg("llmsweep", escape::shell(j.llmsweep)), fmt::arg("spec", escape::shell(j.spec)),
        fmt::arg("dir", escape::shell(j.dir)));
}

std::string merge_script(const SlurmJobs& j) {
    return fmt::format(
        "#!/bin/bash\n"
        "# Written by llmsweep slurm: after every task of the job array has ended, the shards' databases that are\n"
        "# there are merged into merged.db and reported; the shards that are missing are named (exit 1).\n"
        "{sbatch}"
        "set -uo pipefail\n"
        "dir={dir}\n"
        "present=() missing=()\n"
        "for shard in $(seq 1 {shards}); do\n"
        "    if [ -s \"$dir/shard-$shard.db\" ]; then present+=(\"$dir/shard-$shard.db\"); else missing+=(\"$shard\"); "
        "fi\n"
        "done\n"
        "if [ ${{#present[@]}} -gt 0 ]; then\n"
        "    {llmsweep} merge --db \"$dir/merged.db\" \"${{present[@]}}\" || exit 1\n"
        "    {llmsweep} report --db \"$dir/merged.db\" --out \"$dir/report\" || exit 1\n"
        "fi\n"
        "if [ ${{#missing[@]}} -gt 0 ]; then\n"
        "    echo \"llmsweep slurm: shards missing: ${{missing[*]}} of {shards} (see $dir/shard-N.log); submit them "
        "again, then this job\" >&2\n"
        "    exit 1\n"
        "fi\n"
        "echo \"llmsweep slurm: {shards} shards merged into $dir/merged.db; the report is in $dir/report\"\n",
        fmt::arg("shards", j.shards), fmt::arg("sbatch", sbatch_lines(j)), fmt::arg("dir", escape::shell(j.dir)),
        fmt::arg("llmsweep", escape::shell(j.llmsweep)));
}

std::vector<std::string> array_sbatch(const SlurmJobs& j) {
    return {"sbatch",
            "--parsable",
            "--job-name",
            j.name,
            fmt::format("--array=1-{}", j.shards),
            "--output",
            j.dir + "/shard-%a.log",
            j.dir + "/array.sh"};
}

std::vector<std::string> merge_sbatch(const SlurmJobs& j, const std::string& array_job_id) {
    return {"sbatch",
            "--parsable",
            "--job-name",
            j.name + "-merge",
            "--dependency=afterany:" + array_job_id,
            "--output",
            j.dir + "/merge.log",
            j.dir + "/merge.sh"};
}

std::string submit_script(const SlurmJobs& j) {
    std::vector<std::string> merge = merge_sbatch(j, "ARRAY");
    merge[4] = "--dependency=afterany:$array";
    std::string merge_line = words(merge);
    // The array's id comes from the first command: unquote the one word that takes it.
    const std::string quoted = escape::shell("--dependency=afterany:$array");
    merge_line.replace(merge_line.find(quoted), quoted.size(), "\"--dependency=afterany:$array\"");
    return fmt::format("#!/bin/bash\n"
                       "# Written by llmsweep slurm --dry-run: submits the sweep as llmsweep slurm would.\n"
                       "set -euo pipefail\n"
                       "array=$({array})\n"
                       "array=${{array%%;*}}\n"
                       "merge=$({merge})\n"
                       "merge=${{merge%%;*}}\n"
                       "echo \"job array $array ({shards} shards), then merge job $merge\"\n",
                       fmt::arg("array", words(array_sbatch(j))), fmt::arg("merge", merge_line),
                       fmt::arg("shards", j.shards));
}

} // namespace llmsweep::sweep
