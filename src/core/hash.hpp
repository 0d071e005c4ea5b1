#pragma once
// OpenSSL's digests and encodings of bytes in memory: SHA-256, and base64 (an image in a JSON request).

#include <string>
#include <string_view>

namespace llmsweep {

// Lowercase hex, 64 characters.
std::string sha256_hex(std::string_view bytes);

// Standard base64 (RFC 4648, with padding, no line breaks).
std::string base64(std::string_view bytes);

} // namespace llmsweep
