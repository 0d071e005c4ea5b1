#pragma once
// Terminal output: human-readable sizes and counts, and writing to a reader that may have gone.

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmsweep::cli {

std::string format_bytes(uint64_t bytes); // 1536 -> "1.5 KiB"
std::string format_count(uint64_t count); // 494032768 -> "494,032,768"
// A count and its noun: 1 point, 2 points (`many` where the plural is not the noun and an s).
// A table on the terminal, as llama-bench prints its own: cells escaped (escape::terminal, `|` as `\|`), text
// left and numbers right, columns as wide as their widest cell.
void print_table(const std::vector<std::string>& header, std::vector<std::vector<std::string>> rows);

// zh for a Chinese locale (LC_ALL, LC_MESSAGES or LANG starting with zh), en otherwise: a report's language
// where --lang does not say.
std::string language_from_locale();
std::string counted(uint64_t count, std::string_view one, std::string_view many = {});

// Writes to stdout or stderr, whose reader may have closed it (`llmsweep run | head`): a write that fails sends
// that stream, and every later write to it, to /dev/null, so that the work goes on quietly (a sweep to its end,
// resumable as ever) instead of failing on its progress lines. Never throws.
void write_out(std::FILE* stream, std::string_view text) noexcept;

template <typename... T>
void say(std::FILE* stream, fmt::format_string<T...> format, T&&... args) {
    write_out(stream, fmt::format(format, std::forward<T>(args)...));
}
template <typename... T>
void say(fmt::format_string<T...> format, T&&... args) {
    write_out(stdout, fmt::format(format, std::forward<T>(args)...));
}

} // namespace llmsweep::cli
