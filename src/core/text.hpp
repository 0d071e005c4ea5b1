#pragma once
// Small text helpers shared by every layer.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmsweep {

// `text` without the leading and trailing characters in `chars` (by default white space).
constexpr std::string_view trim(std::string_view text, std::string_view chars = " \t\r\n") {
    const auto first = text.find_first_not_of(chars);
    if (first == std::string_view::npos) return {};
    return text.substr(first, text.find_last_not_of(chars) - first + 1);
}

// The pieces of `text` between the characters of `separators` (empty pieces kept: "a,,b" is three).
std::vector<std::string> split(std::string_view text, std::string_view separators);

// `text` whole where it has at most `at_most` bytes; else its first ones (whole UTF-8 characters) and how long
// it was: for echoing what came from outside (a key, a value) in a message without echoing a megabyte.
std::string shortened(std::string_view text, size_t at_most = 64);

// The known word nearest to `word` by edit distance (a letter added, dropped, changed, or two swapped), where
// it is near enough to be what was meant: for "did you mean" in messages. None when nothing is that near.
std::optional<std::string> nearest(std::string_view word, const std::vector<std::string>& known);

// The whole content of a file, bytes as they are; "" when it cannot be read (a /proc or /sys file that this
// kernel lacks, a file gone).
std::string read_text_file(const std::filesystem::path& path);

} // namespace llmsweep
