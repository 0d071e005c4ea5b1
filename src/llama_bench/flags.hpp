#pragma once
// llama-bench's spellings of llmsweep's sweep settings, so that a llama-bench command line works with
// llmsweep as it is: -m -p -n -d -t -b -r, and the long options llama-bench writes with one dash (-ub, -ctk,
// -ctv, -fa, -ngl, and -mmp for --mmap).

#include <optional>
#include <string>
#include <string_view>

namespace llmsweep::llama_bench {

// llama-bench's flag for a setting (its TOML key), or "" when llama-bench has none: "-p" for n_prompt, "-ub"
// for n_ubatch.
std::string_view flag_for(std::string_view setting);

// The argument as llmsweep's command line reads it when it is one of llama-bench's one-dash long flags
// ("-ngl" -> "--ngl", "-mmp" -> "--mmap"); nothing for any other argument.
std::optional<std::string> as_long_flag(std::string_view argument);

} // namespace llmsweep::llama_bench
