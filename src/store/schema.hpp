#pragma once
// The store's schema, declared once: every table and column with its type and meaning. The CREATE
// statements, the INSERT statements and docs/schema.md are all derived from this table.

#include <string>
#include <string_view>
#include <vector>

namespace llmsweep::store {

enum class SqlType { integer, real, text };

struct Column {
    std::string_view name;
    SqlType type;
    std::string_view doc;
    std::string_view constraint = {}; // e.g. "PRIMARY KEY", "NOT NULL REFERENCES runs(id)"
    int since = 1;                    // the schema version that added it (migrations add it then)
    std::string_view from = {};       // llama_bench table: the expression over results r and runs that fills it
};

struct Table {
    std::string_view name;
    std::string_view doc;
    std::vector<Column> columns;
    std::string_view table_constraint = {}; // e.g. "UNIQUE (run_id, point_key, metric)"
    int since = 1;                          // the schema version that added it (migrations create it then)
};

// Identifies a file as llmsweep's (PRAGMA application_id): "LLMS".
inline constexpr int application_id = 0x4C4C4D53;
// The schema version written by this build (PRAGMA user_version).
inline constexpr int schema_version = 14;

const std::vector<Table>& tables();
const Table& table(std::string_view name);

std::string_view sql_type_name(SqlType type);
std::string create_table_sql(const Table& table);
// "INSERT INTO t (a, b) VALUES (:a, :b)" over `columns`: the others take their defaults.
std::string insert_sql(const Table& table, const std::vector<std::string_view>& columns);
// The triggers that keep the llama_bench table equal to the ok results under llama-bench's column names.
std::vector<std::string> llama_bench_trigger_sql();
// Fills the llama_bench table from the results already stored (for a migration).
std::string llama_bench_fill_sql();
// The results' settings whose distinct values the result_values table keeps.
const std::vector<std::string_view>& value_kept_columns();
// The triggers that keep result_values: every value a result is written with.
std::vector<std::string> result_values_trigger_sql();
// The values of value_kept_columns(), in their order, of each result stored (for a migration to fill the table).
std::string result_values_select_sql();
// docs/schema.md.
std::string schema_markdown();

} // namespace llmsweep::store
