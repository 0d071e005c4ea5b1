#pragma once
// llama-bench's output formats written: each test as llama-bench prints it (-o md, csv, json, jsonl, sql), with
// the same fields, names, order and spelling, so that what reads llama-bench's output reads llmsweep bench's.

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace llmsweep::llama_bench {

enum class OutputFormat { none, md, csv, json, jsonl, sql };
// Throws UsageError naming `flag` and the choices.
OutputFormat parse_output_format(std::string_view text, std::string_view flag);

// One test: llama-bench's fields as it writes them (name, text), every field of its -o csv, and the samples.
struct WrittenTest {
    std::vector<std::pair<std::string, std::string>> fields;
    std::vector<int64_t> samples_ns;
    std::vector<double> samples_ts;
};

// Writes tests to `out` one by one, flushing each, so that a reader sees a test as soon as it is measured.
class TestWriter {
public:
    // `shown`: the settings (llama-bench's field names) the Markdown table shows beside model, size, params,
    // backend, test and t/s; the other formats show every field.
    TestWriter(OutputFormat format, std::FILE* out, std::vector<std::string> shown);
    void write(const WrittenTest& test);
    // What follows the last test: JSON's closing bracket, Markdown's build line (from the last test's fields).
    void finish();

private:
    void header(const WrittenTest& first);

    OutputFormat format_;
    std::FILE* out_;
    std::vector<std::string> shown_;
    size_t written_ = 0;
    std::string build_commit_, build_number_;
};

} // namespace llmsweep::llama_bench
