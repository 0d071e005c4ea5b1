#include "llama_bench/writer.hpp"

#include "core/error.hpp"
#include "core/escape.hpp"
#include "domain/llama_bench_fields.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>

namespace llmsweep::llama_bench {
namespace {

using domain::LlamaBenchFieldType;

constexpr std::array<std::pair<std::string_view, OutputFormat>, 6> format_names{{{"none", OutputFormat::none},
                                                                                 {"md", OutputFormat::md},
                                                                                 {"csv", OutputFormat::csv},
                                                                                 {"json", OutputFormat::json},
                                                                                 {"jsonl", OutputFormat::jsonl},
                                                                                 {"sql", OutputFormat::sql}}};

LlamaBenchFieldType type_of(std::string_view field) {
    const domain::LlamaBenchField* f = domain::find_llama_bench_field(field);
    return f ? f->type : LlamaBenchFieldType::text;
}

const std::string& value_of(const WrittenTest& test, std::string_view field) {
    static const std::string none;
    for (const auto& [name, value] : test.fields)
        if (name == field) return value;
    return none;
}

int64_t integer_of(const WrittenTest& test, std::string_view field) {
    const std::string& text = value_of(test, field);
    int64_t x = 0;
    std::from_chars(text.data(), text.data() + text.size(), x);
    return x;
}

double real_of(const WrittenTest& test, std::string_view field) {
    return std::strtod(value_of(test, field).c_str(), nullptr);
}

// A value as llama-bench's JSON has it: text quoted, booleans true or false, numbers as they are. Text is
// escaped as JSON requires (control characters as \u00XX, bytes that are not UTF-8 replaced).
std::string json_value(std::string_view field, const std::string& value) {
    switch (type_of(field)) {
    case LlamaBenchFieldType::text:
        return nlohmann::json(value).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    case LlamaBenchFieldType::boolean: return value == "0" ? "false" : "true";
    default: return value.empty() ? "null" : value;
    }
}

// llama-bench's test time is to the second ("2026-01-02T03:04:05Z"); the store's has milliseconds.
std::string llama_bench_time(const std::string& time) {
    const size_t dot = time.find('.');
    return dot != std::string::npos && time.ends_with('Z') ? time.substr(0, dot) + "Z" : time;
}

// Samples as llama-bench joins them: integers, and throughputs with six significant digits.
std::string joined_ns(const WrittenTest& test) { return fmt::format("{}", fmt::join(test.samples_ns, ", ")); }
std::string joined_ts(const WrittenTest& test) {
    std::vector<std::string> texts;
    for (const double ts : test.samples_ts) texts.push_back(fmt::format("{:.6g}", ts));
    return fmt::format("{}", fmt::join(texts, ", "));
}

// The Markdown table's columns: heading and width (negative: left-aligned), as llama-bench sets them.
std::pair<std::string, int> markdown_column(std::string_view field) {
    if (field == "model") return {"model", -30};
    if (field == "t/s") return {"t/s", 20};
    if (field == "size" || field == "params") return {std::string(field), 10};
    if (field == "test") return {"test", 15};
    if (field == "backend") return {"backend", -10};
    const domain::LlamaBenchField* f = domain::find_llama_bench_field(field);
    const std::string heading(f && !f->heading.empty() ? f->heading : field);
    if (f && f->width != 0) return {heading, f->width};
    const int width = std::max(static_cast<int>(field.size()), 10);
    return {heading, type_of(field) == LlamaBenchFieldType::text ? -width : width};
}

std::string padded(const std::string& text, int width) {
    return width < 0 ? fmt::format("{:<{}}", text, -width) : fmt::format("{:>{}}", text, width);
}

std::string markdown_cell(const WrittenTest& test, std::string_view field) {
    if (field == "model") return value_of(test, "model_type");
    if (field == "size") {
        const double bytes = static_cast<double>(integer_of(test, "model_size"));
        return bytes < 1024.0 * 1024 * 1024 ? fmt::format("{:.2f} MiB", bytes / 1024 / 1024)
                                            : fmt::format("{:.2f} GiB", bytes / 1024 / 1024 / 1024);
    }
    if (field == "params") {
        const double n = static_cast<double>(integer_of(test, "model_n_params"));
        return n < 1e9 ? fmt::format("{:.2f} M", n / 1e6) : fmt::format("{:.2f} B", n / 1e9);
    }
    if (field == "backend") return value_of(test, "backends");
    if (field == "test") {
        const int64_t prompt = integer_of(test, "n_prompt"), gen = integer_of(test, "n_gen"),
                      depth = integer_of(test, "n_depth");
        std::string name = prompt > 0 && gen == 0   ? fmt::format("pp{}", prompt)
                           : gen > 0 && prompt == 0 ? fmt::format("tg{}", gen)
                                                    : fmt::format("pp{}+tg{}", prompt, gen);
        if (depth > 0) name += fmt::format(" @ d{}", depth);
        return name;
    }
    if (field == "t/s") return fmt::format("{:.2f} ± {:.2f}", real_of(test, "avg_ts"), real_of(test, "stddev_ts"));
    return value_of(test, field);
}

std::vector<std::string> markdown_fields(const std::vector<std::string>& shown) {
    std::vector<std::string> fields = {"model", "size", "params", "backend"};
    fields.insert(fields.end(), shown.begin(), shown.end());
    fields.insert(fields.end(), {"test", "t/s"});
    return fields;
}

} // namespace

OutputFormat parse_output_format(std::string_view text, std::string_view flag) {
    for (const auto& [name, format] : format_names)
        if (name == text) return format;
    throw UsageError(fmt::format("{} {}: not a format; choose md, csv, json, jsonl, sql or none", flag,
                                 escape::terminal(text)));
}

TestWriter::TestWriter(OutputFormat format, std::FILE* out, std::vector<std::string> shown)
    : format_(format), out_(out), shown_(std::move(shown)) {}

void TestWriter::header(const WrittenTest& first) {
    std::string text;
    switch (format_) {
    case OutputFormat::none: return;
    case OutputFormat::md: {
        std::string names = "|", rules = "|";
        for (const std::string& field : markdown_fields(shown_)) {
            const auto [heading, width] = markdown_column(field);
            names += " " + padded(heading, width) + " |";
            rules += fmt::format(" {}{} |", std::string(static_cast<size_t>(std::abs(width) - 1), '-'),
                                 width > 0 ? ":" : "-");
        }
        text = names + "\n" + rules + "\n";
        break;
    }
    case OutputFormat::csv: {
        std::vector<std::string_view> names;
        for (const auto& [name, value] : first.fields) names.push_back(name);
        text = fmt::format("{}\n", fmt::join(names, ","));
        break;
    }
    case OutputFormat::json: text = "[\n"; break;
    case OutputFormat::jsonl: return;
    case OutputFormat::sql: {
        text = "CREATE TABLE IF NOT EXISTS llama_bench (\n";
        for (size_t i = 0; i < first.fields.size(); ++i) {
            const auto type = type_of(first.fields[i].first);
            const std::string_view sql_type = type == LlamaBenchFieldType::text ? "TEXT"
                                              : type == LlamaBenchFieldType::real ? "REAL"
                                                                                  : "INTEGER";
            text += fmt::format("  {} {}{}\n", first.fields[i].first, sql_type, i + 1 < first.fields.size() ? "," : "");
        }
        text += ");\n\n";
        break;
    }
    }
    std::fputs(text.c_str(), out_);
}

void TestWriter::write(const WrittenTest& given) {
    if (format_ == OutputFormat::none) return;
    WrittenTest test = given;
    for (auto& [name, value] : test.fields)
        if (name == "test_time") value = llama_bench_time(value);
    if (written_ == 0) header(test);
    std::string text;
    switch (format_) {
    case OutputFormat::none: return;
    case OutputFormat::md: {
        text = "|";
        for (const std::string& field : markdown_fields(shown_)) {
            // Padded by columns on the screen (fmt counts the ± of t/s as one), as llama-bench's table lines up.
            const auto [heading, width] = markdown_column(field);
            text += " " + padded(escape::markdown_cell(markdown_cell(test, field)), width) + " |";
        }
        text += "\n";
        break;
    }
    case OutputFormat::csv: {
        std::vector<std::string> values;
        for (const auto& [name, value] : test.fields) {
            std::string field = escape::csv(value);
            values.push_back(field.starts_with('"') ? field : "\"" + field + "\""); // llama-bench quotes each
        }
        text = fmt::format("{}\n", fmt::join(values, ","));
        break;
    }
    case OutputFormat::json: {
        text = written_ > 0 ? ",\n  {\n" : "  {\n";
        for (const auto& [name, value] : test.fields) text += fmt::format("    \"{}\": {},\n", name, json_value(name, value));
        text += fmt::format("    \"samples_ns\": [ {} ],\n    \"samples_ts\": [ {} ]\n  }}", joined_ns(test), joined_ts(test));
        break;
    }
    case OutputFormat::jsonl: {
        text = "{";
        for (const auto& [name, value] : test.fields) text += fmt::format("\"{}\": {}, ", name, json_value(name, value));
        text += fmt::format("\"samples_ns\": [ {} ],\"samples_ts\": [ {} ]}}\n", joined_ns(test), joined_ts(test));
        break;
    }
    case OutputFormat::sql: {
        std::vector<std::string_view> names;
        std::vector<std::string> values;
        for (const auto& [name, value] : test.fields) {
            names.push_back(name);
            values.push_back(escape::sql(value));
        }
        text = fmt::format("INSERT INTO llama_bench ({}) VALUES ({});\n", fmt::join(names, ", "), fmt::join(values, ", "));
        break;
    }
    }
    std::fputs(text.c_str(), out_);
    std::fflush(out_);
    ++written_;
    build_commit_ = value_of(test, "build_commit");
    build_number_ = value_of(test, "build_number");
}

void TestWriter::finish() {
    if (format_ == OutputFormat::json && written_ > 0) std::fputs("\n]\n", out_);
    if (format_ == OutputFormat::json && written_ == 0) std::fputs("[\n]\n", out_);
    if (format_ == OutputFormat::md && written_ > 0)
        std::fputs(fmt::format("\nbuild: {} ({})\n", escape::markdown(build_commit_), build_number_).c_str(), out_);
    std::fflush(out_);
}

} // namespace llmsweep::llama_bench
