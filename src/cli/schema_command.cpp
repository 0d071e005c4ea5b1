#include "cli/command.hpp"
#include "cli/format.hpp"
#include "store/schema.hpp"

#include <fmt/format.h>

#include <memory>

namespace llmsweep::cli {

Command add_schema_command(CLI::App& app) {
    auto sql = std::make_shared<bool>(false);
    CLI::App* sub = app.add_subcommand("schema", "Describe the database's tables and columns (docs/schema.md)");
    sub->add_flag("--sql", *sql, "Print the CREATE statements instead");
    return {sub, [sql] {
                if (!*sql) return say("{}", store::schema_markdown());
                for (const auto& table : store::tables()) say("{};\n\n", store::create_table_sql(table));
                for (const auto& trigger : store::llama_bench_trigger_sql()) say("{};\n\n", trigger);
            }};
}

} // namespace llmsweep::cli
