#include "cli/verdicts.hpp"

#include "cli/format.hpp"
#include "core/error.hpp"
#include "core/escape.hpp"
#include "report/report_model.hpp"
#include "report/strings.hpp"
#include "report/tables.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace llmsweep::cli {

std::string shell_word(std::string_view word) {
    const bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) {
        return std::isalnum(c) || std::string_view("_./,=:+-@%").find(static_cast<char>(c)) != std::string_view::npos;
    });
    return plain ? std::string(word) : escape::shell(word);
}

void print_verdicts(store::Store& store, const std::string& db, int64_t run_id,
                    const std::optional<std::string>& compare, const std::string& command, std::FILE* out) {
    report::ReportOptions options;
    options.filters.run_id = run_id;
    options.compare = compare;
    report::ReportModel m;
    try {
        m = report::build_report(store, db, options);
    } catch (const UsageError& e) {
        // Several parameters vary, or none does: the report says which to compare.
        say(out, "{}\n", escape::terminal(e.what()));
        return;
    }
    if (!m.compares() || m.comparisons.empty()) return;
    const report::Strings& s = report::strings("en");
    // What a block was: a round in rounds order; in grouped order (llama-bench's, bench's default), a repetition
    // index, each test's repetitions having run in a row.
    const bool grouped = std::any_of(m.runs.begin(), m.runs.end(),
                                     [&](const store::RunRow& r) { return r.id == run_id && r.order == "grouped"; });
    say(out,
        "\n{}: each value against {}, the difference in throughput with its 95 % interval over the blocks ({}); "
        "the whole report: llmsweep report --db {}\n",
        escape::terminal(m.compare), escape::terminal(m.baseline),
        grouped ? "a block is a repetition index: each test ran its repetitions in a row, so drift between the "
                  "tests is not cancelled; --order rounds visits every load group once per round instead"
                : "a block is a round of the sweep: every load group visited once, in a random order",
        shell_word(db));
    size_t most_needed = 0;
    for (const analysis::PairedComparison& c : m.comparisons) {
        const auto& e = c.effect.all;
        const std::string interval =
            c.verdict == analysis::Verdict::too_few
                ? std::string("no interval")
                : fmt::format("{:+.2f} % [{:+.2f}, {:+.2f}]", e.estimate, c.interval.low, c.interval.high);
        say(out, "  {} {} {} = {}: {}, {}\n", escape::terminal(report::group_label(c.model, s)), c.metric,
            escape::terminal(m.compare), escape::terminal(c.value), interval,
            escape::terminal(report::verdict_cell(c, s)));
        if (c.verdict == analysis::Verdict::inconclusive && c.blocks_needed &&
            c.design == analysis::Design::within_runs)
            most_needed = std::max(most_needed, *c.blocks_needed);
    }
    if (most_needed > 0 && !command.empty()) {
        // Adaptive rounds need rounds: a grouped sweep is measured again in them.
        std::string decide = command;
        if (grouped) {
            const size_t at = decide.find(" --order grouped");
            if (at == std::string::npos) decide += " --order rounds";
            else decide.replace(at, 16, " --order rounds");
        }
        say(out, "to decide, {}:\n  {} --max-repetitions {} --decide {}\n",
            grouped ? "measure again in rounds, adding them where they are needed"
                    : "add rounds where they are needed (the stored ones count)",
            escape::terminal(decide), std::min<size_t>(std::max<size_t>(most_needed, 2), 50),
            escape::terminal(m.compare));
    }
}

} // namespace llmsweep::cli
