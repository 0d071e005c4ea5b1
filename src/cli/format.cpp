#include "cli/format.hpp"

#include "core/escape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include <fcntl.h>
#include <unistd.h>

namespace llmsweep::cli {

std::string format_bytes(uint64_t bytes) {
    constexpr const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024.0 && unit < 4) {
        value /= 1024.0;
        ++unit;
    }
    return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

std::string counted(uint64_t count, std::string_view one, std::string_view many) {
    if (count == 1) return fmt::format("1 {}", one);
    return many.empty() ? fmt::format("{} {}s", count, one) : fmt::format("{} {}", count, many);
}

std::string format_count(uint64_t count) {
    std::string digits = std::to_string(count);
    for (int pos = static_cast<int>(digits.size()) - 3; pos > 0; pos -= 3) digits.insert(pos, ",");
    return digits;
}

} // namespace llmsweep::cli

namespace llmsweep::cli {

void write_out(std::FILE* stream, std::string_view text) noexcept {
    if (std::fwrite(text.data(), 1, text.size(), stream) == text.size() && std::fflush(stream) == 0) return;
    // The reader has gone (EPIPE; SIGPIPE is ignored) or the file cannot take more: what follows goes nowhere.
    const int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, fileno(stream));
        close(null);
    }
    std::clearerr(stream);
}

std::string language_from_locale() {
    for (const char* name : {"LC_ALL", "LC_MESSAGES", "LANG"}) {
        const char* value = std::getenv(name);
        if (value && *value) return std::string_view(value).substr(0, 2) == "zh" ? "zh" : "en";
    }
    return "en";
}

// Width on a terminal: code points, not bytes ("±" is two bytes), as fmt pads.
namespace {

size_t display_width(const std::string& text) {
    return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// A cell as the terminal shows it: escaped (a name may hold line breaks or ANSI sequences), `|` kept inside.
std::string cell(const std::string& text) {
    std::string out;
    for (const char c : escape::terminal(text)) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
}

} // namespace

void print_table(const std::vector<std::string>& header, std::vector<std::vector<std::string>> rows) {
    for (auto& row : rows)
        for (auto& text : row) text = cell(text);
    std::vector<size_t> width(header.size());
    for (size_t c = 0; c < header.size(); ++c) {
        width[c] = display_width(header[c]);
        for (const auto& row : rows) width[c] = std::max(width[c], display_width(row[c]));
    }
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out = "|";
        for (size_t c = 0; c < cells.size(); ++c) {
            // Text left, numbers right, as llama-bench aligns them.
            const bool numeric = !cells[c].empty() && (std::isdigit(static_cast<unsigned char>(cells[c][0])) != 0);
            out +=
                numeric ? fmt::format(" {:>{}} |", cells[c], width[c]) : fmt::format(" {:<{}} |", cells[c], width[c]);
        }
        say("{}\n", out);
    };
    line(header);
    std::string rule = "|";
    for (size_t w : width) rule += std::string(w + 2, '-') + "|";
    say("{}\n", rule);
    for (const auto& row : rows) line(row);
}

} // namespace llmsweep::cli
