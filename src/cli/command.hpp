#pragma once
// A subcommand: its CLI11 definition and the action that runs it once the command line is parsed.

#include <CLI/CLI.hpp>

#include <functional>
#include <vector>

namespace llmsweep::cli {

struct Command {
    CLI::App* app = nullptr;
    std::function<void()> run;
};

// Each adds its subcommand to `app`; the returned action reads the options bound at definition time.
Command add_info_command(CLI::App& app);
Command add_version_command(CLI::App& app);
Command add_synth_command(CLI::App& app);
Command add_check_command(CLI::App& app);
Command add_run_command(CLI::App& app);
Command add_bench_command(CLI::App& app);
Command add_report_command(CLI::App& app);
Command add_history_command(CLI::App& app);
Command add_bisect_command(CLI::App& app);
Command add_worker_command(CLI::App& app);
Command add_schema_command(CLI::App& app);
Command add_import_command(CLI::App& app);
Command add_merge_command(CLI::App& app);
Command add_slurm_command(CLI::App& app);

} // namespace llmsweep::cli
