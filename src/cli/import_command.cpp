#include "cli/command.hpp"
#include "cli/format.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "importers/importer.hpp"
#include "store/store.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>

namespace llmsweep::cli {
namespace {

struct ImportArgs {
    std::vector<std::string> files;
    std::string db = "benchmark_results.db";
};

void print_outcome(const std::string& file, const importers::ImportOutcome& outcome) {
    if (outcome.already_imported)
        say("{}: already imported (run {}); nothing added\n", escape::terminal(file), fmt::join(outcome.run_ids, ", "));
    else
        say("{}: {} tests ({}) imported as run {}\n", escape::terminal(file), outcome.tests, outcome.format,
            fmt::join(outcome.run_ids, ", "));
}

// One file, whole or not at all; a failure of the database (a full disk) names the file too.
void import_one(store::Store& store, const std::string& file) {
    try {
        print_outcome(file, importers::import_file(store, file));
    } catch (const store::DatabaseError& e) {
        throw Error(fmt::format("{}: {}; nothing was imported from it", file, e.what()));
    }
}

void run_import(const ImportArgs& args) {
    store::Store store(args.db);
    store.db().on_long_lock_wait(
        [&] { say(stderr, "waiting for another process to release the lock on {}\n", escape::terminal(args.db)); });
    if (args.files.size() == 1) return import_one(store, args.files[0]);
    size_t failed = 0;
    ExitCode code = ExitCode::usage; // as a single file's would be: 2 when every failure was a usage error
    for (const std::string& file : args.files) {
        try {
            import_one(store, file);
        } catch (const Interrupted&) {
            throw;
        } catch (const Error& e) {
            // Each file is whole or not at all; the others still go in.
            say(stderr, "llmsweep: error: {}\n", escape::terminal(e.what()));
            if (e.code() != ExitCode::usage) code = ExitCode::failure;
            ++failed;
        }
    }
    if (failed > 0)
        throw Error(fmt::format("{} of {} files could not be imported (see above); the other {} were", failed,
                                args.files.size(), args.files.size() - failed),
                    code);
}

} // namespace

Command add_import_command(CLI::App& app) {
    auto args = std::make_shared<ImportArgs>();
    CLI::App* sub =
        app.add_subcommand("import", "Import llama-bench results (-o json, jsonl, csv or sql) into the database");
    sub->footer("The format is told from each file's content. Each file goes in whole or not at all, as a run\n"
                "that records where it came from; a file imported before is skipped.\n\n"
                "Examples:\n"
                "  llama-bench -m model.gguf -o jsonl > results.jsonl\n"
                "  llmsweep import results.jsonl older/*.json --db benchmark_results.db\n"
                "  llama-bench -m model.gguf -o jsonl | llmsweep import -\n"
                "  llmsweep report --compare build_commit");
    sub->add_option("files", args->files, "llama-bench output files; - reads standard input")->required();
    sub->add_option("--db", args->db, "SQLite database to import into")->capture_default_str();
    return {sub, [args] { run_import(*args); }};
}

} // namespace llmsweep::cli
