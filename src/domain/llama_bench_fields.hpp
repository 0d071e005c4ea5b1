#pragma once
// llama-bench's output fields, in its order: what it writes (its JSON fields, CSV and SQL columns, Markdown
// table) and what older versions wrote. The importer reads them; the store's llama_bench table has its columns
// in this order.

#include <span>
#include <string_view>
#include <vector>

namespace llmsweep::domain {

enum class LlamaBenchFieldType { text, integer, boolean, real, flash_attn, list };

struct LlamaBenchField {
    std::string_view name;
    LlamaBenchFieldType type;
    // Its column in llama-bench's Markdown table: the heading (empty: the name) and the width, negative for a
    // left-aligned one (0: llama-bench's rule, the name's length and at least 10, text left-aligned).
    std::string_view heading = {};
    int width = 0;
};

// Every field llama-bench writes now, in its order, then those older versions wrote.
const std::vector<LlamaBenchField>& llama_bench_fields();
// The ones llama-bench writes now as one value each (-o csv's columns; JSON adds samples_ns and samples_ts).
std::span<const LlamaBenchField> llama_bench_output_fields();
// The settings llama-bench's Markdown table shows where a command gives them several values or one other than
// the default, in its order (n_gpu_layers also for a GPU backend, n_threads also for the CPU's).
const std::vector<std::string_view>& llama_bench_markdown_settings();
// The field of that name; nullptr for another.
const LlamaBenchField* find_llama_bench_field(std::string_view name);
// Its place in that order; the list's size for a name not in it.
size_t llama_bench_field_index(std::string_view name);

} // namespace llmsweep::domain
