#include "cli/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <vector>

namespace llmsweep::cli {
namespace {

// Columns shown only when the run swept them.
constexpr const char* optional_columns[] = {"load_mode", "cache_state", "n_gpu_layers", "n_threads", "n_batch",
                                            "n_ubatch",  "type_k",      "type_v",       "flash_attn", "n_depth"};

// Width on a terminal: code points, not bytes ("±" is two bytes), as fmt pads.
size_t display_width(const std::string& text) {
    return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

void print_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
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
            out += numeric ? fmt::format(" {:>{}} |", cells[c], width[c]) : fmt::format(" {:<{}} |", cells[c], width[c]);
        }
        fmt::print("{}\n", out);
    };
    line(header);
    std::string rule = "|";
    for (size_t w : width) rule += std::string(w + 2, '-') + "|";
    fmt::print("{}\n", rule);
    for (const auto& row : rows) line(row);
}

} // namespace

void print_summary(store::Store& store, int64_t run_id) {
    std::vector<std::string> shown;
    for (const char* column : optional_columns) {
        store::Statement distinct(store.db(), fmt::format("SELECT count(DISTINCT {}) FROM results WHERE run_id = :run",
                                                          column));
        distinct.bind("run", run_id);
        if (distinct.step() && distinct.column_int(0) > 1) shown.emplace_back(column);
    }
    std::string select = "SELECT model_filename, metric, n_prompt, n_gen, avg_ts, stddev_ts, repetitions, status";
    for (const auto& column : shown) select += ", " + column;
    std::string order = "model_filename";
    for (const auto& column : shown) order += ", " + column;
    store::Statement s(store.db(), select + " FROM results WHERE run_id = :run ORDER BY " + order +
                                       ", n_depth, (n_prompt = 0), n_prompt, n_gen, metric");
    s.bind("run", run_id);

    std::vector<std::string> header = {"model"};
    header.insert(header.end(), shown.begin(), shown.end());
    header.insert(header.end(), {"test", "t/s", "CV %", "n", "status"});
    std::vector<std::vector<std::string>> rows;
    while (s.step()) {
        std::vector<std::string> row = {std::filesystem::path(s.column_text(0)).filename().string()};
        for (size_t i = 0; i < shown.size(); ++i) row.push_back(s.column_text(8 + static_cast<int>(i)));
        const std::string metric = s.column_text(1);
        // Split mode: llama-bench's pp512 / tg128. Request mode: the request, then the phase.
        const int64_t n_prompt = s.column_int(2), n_gen = s.column_int(3);
        if (n_prompt > 0 && n_gen > 0) row.push_back(fmt::format("p{}+n{} {}", n_prompt, n_gen, metric));
        else row.push_back(fmt::format("{}{}", metric, metric == "pp" ? n_prompt : n_gen));
        const double avg = s.column_double(4), sd = s.column_double(5);
        const bool has = !s.column_is_null(4);
        row.push_back(has ? fmt::format("{:.2f} ± {:.2f}", avg, sd) : "");
        row.push_back(has && avg > 0 ? fmt::format("{:.1f}", 100.0 * sd / avg) : "");
        row.push_back(std::to_string(s.column_int(6)));
        row.push_back(s.column_text(7));
        rows.push_back(std::move(row));
    }
    if (!rows.empty()) print_table(header, rows);
}

} // namespace llmsweep::cli
