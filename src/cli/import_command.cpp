#include "cli/command.hpp"
#include "core/error.hpp"
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
        fmt::print("{}: already imported (run {}); nothing added\n", file, fmt::join(outcome.run_ids, ", "));
    else
        fmt::print("{}: {} tests ({}) imported as run {}\n", file, outcome.tests, outcome.format,
                   fmt::join(outcome.run_ids, ", "));
}

void run_import(const ImportArgs& args) {
    store::Store store(args.db);
    if (args.files.size() == 1) return print_outcome(args.files[0], importers::import_file(store, args.files[0]));
    size_t failed = 0;
    for (const std::string& file : args.files) {
        try {
            print_outcome(file, importers::import_file(store, file));
        } catch (const Error& e) {
            // Each file is whole or not at all; the others still go in.
            fmt::print(stderr, "llmsweep: error: {}\n", e.what());
            ++failed;
        }
    }
    if (failed > 0)
        throw Error(fmt::format("{} of {} files could not be imported (see above); the other {} were", failed,
                                args.files.size(), args.files.size() - failed));
}

} // namespace

Command add_import_command(CLI::App& app) {
    auto args = std::make_shared<ImportArgs>();
    CLI::App* sub = app.add_subcommand("import", "Import llama-bench results (-o json, jsonl, csv or sql) into the database");
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
