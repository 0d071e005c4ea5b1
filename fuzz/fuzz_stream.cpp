// The reading of a server's streamed answer (serving/stream.hpp) on arbitrary bytes, handed over in arbitrary
// pieces: it may fail the answer with a reason, never crash, hang, throw or believe more tokens than were asked.
// The first byte chooses the API and the tokens asked for; the next ones, where the pieces are cut.

#include "serving/stream.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 3) return 0;
    llmsweep::serving::StreamReader reader;
    reader.api = data[0] & 1 ? llmsweep::domain::Api::openai : llmsweep::domain::Api::llama;
    reader.n_predict = data[0] >> 1;
    const size_t cut = 1 + data[1] % 64, step = 1 + data[2];
    std::string_view rest(reinterpret_cast<const char*>(data) + 3, size - 3);
    const auto now = llmsweep::serving::StreamReader::Clock::now();
    bool reading = reader.bytes(rest.substr(0, std::min(cut, rest.size())), now);
    for (size_t at = std::min(cut, rest.size()); reading && at < rest.size(); at += step)
        reading = reader.bytes(rest.substr(at, step), now);
    // What a broken answer must not be believed of, and what no answer can make it believe.
    if (reading != reader.broken.empty() && reading) std::abort();
    if (reader.record.tokens_out > reader.n_predict) std::abort();
    if (reader.server_count && (*reader.server_count < 0 || *reader.server_count > reader.n_predict)) std::abort();
    if (reader.record.tokens_in < 0) std::abort();
    return 0;
}
