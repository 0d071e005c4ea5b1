#pragma once
// llama-bench's output fields, in its order: what it writes (its JSON fields, CSV and SQL columns, Markdown
// table) and what older versions wrote. The importer reads them; the store's llama_bench table has its columns
// in this order.

#include <string_view>
#include <vector>

namespace llmsweep::domain {

enum class LlamaBenchFieldType { text, integer, boolean, real, flash_attn, list };

struct LlamaBenchField {
    std::string_view name;
    LlamaBenchFieldType type;
};

// Every field llama-bench writes now, in its order, then those older versions wrote.
const std::vector<LlamaBenchField>& llama_bench_fields();
// Its place in that order; the list's size for a name not in it.
size_t llama_bench_field_index(std::string_view name);

} // namespace llmsweep::domain
