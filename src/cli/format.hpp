#pragma once
// Human-readable sizes and counts for terminal output.

#include <cstdint>
#include <string>

namespace llmsweep::cli {

std::string format_bytes(uint64_t bytes); // 1536 -> "1.5 KiB"
std::string format_count(uint64_t count); // 494032768 -> "494,032,768"

} // namespace llmsweep::cli
