#include "cli/app.hpp"
#include "cli/format.hpp"

#include "cli/command.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "engine/llama_process.hpp"
#include "llama_bench/flags.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <csignal>
#include <filesystem>

namespace llmsweep::cli {
namespace {

// llama-bench spells some long options with one dash (-ngl, -ub, -ctk); CLI11 wants two. Rewritten here so
// that a llama-bench command line works as it is. Arguments are returned in reverse, as CLI11's parse expects.
std::vector<std::string> with_llama_bench_flags(int argc, char** argv) {
    std::vector<std::string> args;
    for (int i = argc - 1; i >= 1; --i) args.push_back(llama_bench::as_long_flag(argv[i]).value_or(argv[i]));
    return args;
}

// `--db=` gives an option no value, and CLI11 would take the next argument for it (`run --db= --dry-run` ran a
// real sweep into a database named --dry-run): an empty value is an error, before anything is parsed.
void refuse_empty_values(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--") return;
        if (arg.size() > 3 && arg.starts_with("--") && arg.ends_with('=') && arg.find('=') == arg.size() - 1)
            throw CLI::ValidationError(std::string(arg.substr(0, arg.size() - 1)),
                                       "is given no value: write " + std::string(arg) + "VALUE, or leave it out");
    }
}

} // namespace

int run(int argc, char** argv) {
    // A reader that goes away (`llmsweep run | head`) ends llmsweep's output (cli::write_out), not its work: a
    // write to a closed pipe fails with EPIPE instead of killing the process mid-sweep.
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"llmsweep: parameter-sweep benchmarks of llama.cpp, kept in SQLite, reported honestly"};
    app.name("llmsweep");
    app.require_subcommand(0, 1);
    app.footer("Run 'llmsweep COMMAND --help' for a command's options.");
    bool show_version = false, verbose = false;
    app.add_flag("-V,--version", show_version, "Show the version and the llama.cpp build, and exit");
    app.add_flag("-v,--verbose", verbose, "Show llama.cpp's own log on stderr");

    const std::vector<Command> commands = {add_run_command(app),    add_report_command(app), add_import_command(app),
                                           add_merge_command(app),  add_slurm_command(app),  add_synth_command(app),
                                           add_check_command(app),  add_info_command(app),   add_schema_command(app),
                                           add_worker_command(app), add_version_command(app)};
    try {
        refuse_empty_values(argc, argv);
        app.parse(with_llama_bench_flags(argc, argv));
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // Same shape as every other error: one line, the usage exit code, and where to look.
        std::string where = "llmsweep";
        for (const CLI::App* sub : app.get_subcommands()) where += " " + sub->get_name();
        say(stderr, "llmsweep: error: {}; see '{} --help'\n", escape::terminal(e.what()), where);
        return static_cast<int>(ExitCode::usage);
    }

    try {
        // llama.cpp's backends are started by what needs them (a load, a model check, the system's devices), so
        // that report, merge, schema and import never load a GPU driver.
        engine::set_llama_log_verbose(verbose);
        for (const Command& command : commands)
            if (command.app->parsed()) {
                command.run();
                return 0;
            }
        if (show_version) {
            commands.back().run();
            return 0;
        }
        say("{}", app.help());
        return static_cast<int>(ExitCode::usage);
    } catch (const Error& e) {
        // Messages name files and values from the data as they are: escaped here, once, for the terminal.
        say(stderr, "llmsweep: error: {}\n", escape::terminal(e.what()));
        return static_cast<int>(e.code());
    } catch (const std::filesystem::filesystem_error& e) {
        say(stderr, "llmsweep: error: {}\n", escape::terminal(e.what()));
        return static_cast<int>(ExitCode::failure);
    } catch (const std::exception& e) {
        say(stderr, "llmsweep: internal error: {}\n", escape::terminal(e.what()));
        return static_cast<int>(ExitCode::failure);
    }
}

} // namespace llmsweep::cli
