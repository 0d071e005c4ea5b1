#include "core/hash.hpp"

#include "core/error.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>

namespace llmsweep {

std::string sha256_hex(std::string_view bytes) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr) != 1)
        throw Error("SHA-256 failed");
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) hex += fmt::format("{:02x}", digest[i]);
    return hex;
}

std::string base64(std::string_view bytes) {
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0'); // EVP_EncodeBlock writes a final NUL
    size_t written = 0;
    // In pieces of at most 768 MiB: EVP_EncodeBlock takes an int length.
    constexpr size_t piece = size_t{3} << 28;
    for (size_t at = 0; at < bytes.size(); at += piece) {
        const size_t n = std::min(piece, bytes.size() - at);
        written += static_cast<size_t>(EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data() + written),
                                                       reinterpret_cast<const unsigned char*>(bytes.data() + at),
                                                       static_cast<int>(n)));
    }
    out.resize(written);
    return out;
}

} // namespace llmsweep
