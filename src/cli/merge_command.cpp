#include "cli/command.hpp"
#include "cli/format.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "store/store.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <memory>

namespace llmsweep::cli {
namespace {

struct MergeArgs {
    std::vector<std::string> inputs;
    std::string db;
};

void run_merge(const MergeArgs& args) {
    // Every input is opened, and so checked (an llmsweep database, of a schema this llmsweep knows; an older
    // one is brought up to date in memory, never on disk), before anything is written.
    std::vector<std::unique_ptr<store::Store>> inputs;
    for (const std::string& input : args.inputs) {
        if (!std::filesystem::is_regular_file(input))
            throw UsageError(
                fmt::format("'{}' does not exist or is not a file; pass llmsweep databases to merge", input));
        inputs.push_back(std::make_unique<store::Store>(input, store::Store::Access::read_only));
    }
    store::Store out(args.db);
    out.db().on_long_lock_wait(
        [&] { say(stderr, "waiting for another process to release the lock on {}\n", escape::terminal(args.db)); });
    for (size_t i = 0; i < inputs.size(); ++i) {
        store::MergeOutcome o;
        try {
            o = out.merge_from(*inputs[i]);
        } catch (const store::DatabaseError& e) {
            throw Error(fmt::format("{}: {}; nothing of it was merged", args.inputs[i], e.what()));
        } catch (const UsageError& e) {
            throw UsageError(fmt::format("{}: {}; nothing of it was merged", args.inputs[i], e.what()));
        }
        say("{}: {} run{} merged ({} results, {} samples, {} loads){}{}\n", escape::terminal(args.inputs[i]), o.runs,
            o.runs == 1 ? "" : "s", o.results, o.samples, o.loads,
            o.runs_present ? fmt::format("; {} already in {}", o.runs_present, escape::terminal(args.db)) : "",
            o.runs_extended ? fmt::format(", {} of them extended by what they measured since", o.runs_extended) : "");
        if (o.dangling > 0)
            say(stderr, "{}: {} row{} left out: {} to a run, load or result the file does not hold\n",
                escape::terminal(args.inputs[i]), o.dangling, o.dangling == 1 ? "" : "s",
                o.dangling == 1 ? "it refers" : "they refer");
    }
}

} // namespace

Command add_merge_command(CLI::App& app) {
    auto args = std::make_shared<MergeArgs>();
    CLI::App* sub = app.add_subcommand(
        "merge", "Copy the runs of other llmsweep databases (shards, other machines) into one, for one report");
    sub->footer("Each input goes in whole or not at all. A run is known by its unique id wherever it is, so merging\n"
                "the same database twice, or a database into itself, adds nothing. Databases written by an older\n"
                "llmsweep are read as this one's; a newer schema or a file that is not llmsweep's is refused before\n"
                "anything is written.\n\n"
                "Examples:\n"
                "  llmsweep merge --db all.db shard-1.db shard-2.db\n"
                "  llmsweep merge --db fleet.db host-a.db host-b.db && llmsweep report --db fleet.db --compare "
                "hostname");
    sub->add_option("inputs", args->inputs, "llmsweep databases to copy from")->required();
    sub->add_option("--db", args->db, "The database to merge into (created if it does not exist)")->required();
    return {sub, [args] { run_merge(*args); }};
}

} // namespace llmsweep::cli
