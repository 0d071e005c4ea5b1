// One llama-bench importer (LLMSWEEP_FUZZ_FORMAT: parse_json, parse_jsonl, parse_csv or parse_sql) on
// arbitrary bytes: it may refuse them with a FormatError, never crash, hang or throw anything else.

#include "llama_bench/fields.hpp"
#include "llama_bench/output.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view content(reinterpret_cast<const char*>(data), size);
    try {
        llmsweep::llama_bench::LLMSWEEP_FUZZ_FORMAT(
            content, [](llmsweep::llama_bench::RawTest&& test) { llmsweep::llama_bench::to_bench_test(test.fields); });
    } catch (const llmsweep::llama_bench::FormatError&) {
        // Refused, with a message: what bad input should get.
    }
    return 0;
}
