#pragma once
// llama-bench's output files read back: the format told from the content (-o json, jsonl, csv or sql), and
// each test's fields exactly as written. Nothing here knows what the fields mean; llama_bench_test.hpp does.

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace llmsweep::importers {

enum class Format { json, jsonl, csv, sql };
std::string_view name(Format format);

// A file that is not llama-bench output, or is damaged. The message names the line or record and the
// problem; the caller adds the file's name.
class FormatError : public Error {
public:
    explicit FormatError(const std::string& message) : Error(message, ExitCode::failure) {}
};

// One test as llama-bench wrote it.
struct RawTest {
    nlohmann::json fields;   // an object: field name → string, number, boolean or array (CSV and SQL give strings)
    std::string where;       // "line 3" or "record 2", for messages
};

struct RawFile {
    Format format = Format::json;
    std::vector<RawTest> tests;
};

// Throws FormatError for Markdown output, for content that is none of the four formats, and for any damage.
Format detect_format(std::string_view content);
RawFile parse_llama_bench_output(std::string_view content);

RawFile parse_json(std::string_view content);
RawFile parse_jsonl(std::string_view content);
RawFile parse_csv(std::string_view content);
// Only llama-bench's own statements are understood (CREATE TABLE llama_bench, INSERT INTO llama_bench); the
// SQL is parsed, never executed.
RawFile parse_sql(std::string_view content);

} // namespace llmsweep::importers
