#include "cli/format.hpp"

#include <fmt/format.h>

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

} // namespace llmsweep::cli
