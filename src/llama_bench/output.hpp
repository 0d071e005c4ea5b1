#pragma once
// llama-bench's output files read back: the format told from the content (-o json, jsonl, csv or sql), and
// each test's fields exactly as written. Nothing here knows what the fields mean; fields.hpp does.

#include "core/error.hpp"

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace llmsweep::llama_bench {

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
    nlohmann::json fields; // an object: field name → string, number, boolean or array (CSV and SQL give strings)
    std::string where;     // "line 3" or "record 2", for messages
};

// Receives each test as it is read, so that a large file is never held twice; it may throw to stop.
using TestSink = std::function<void(RawTest&&)>;

// Throws FormatError for Markdown output, for content that is none of the four formats, and for any damage.
Format detect_format(std::string_view content);
// Checks the encoding, detects the format and reads every test, in file order, into `each`.
Format read_llama_bench_output(std::string_view content, const TestSink& each);

void parse_json(std::string_view content, const TestSink& each);
void parse_jsonl(std::string_view content, const TestSink& each);
void parse_csv(std::string_view content, const TestSink& each);
// Only llama-bench's own statements are understood (CREATE TABLE llama_bench, INSERT INTO llama_bench); the
// SQL is parsed, never executed.
void parse_sql(std::string_view content, const TestSink& each);

} // namespace llmsweep::llama_bench
