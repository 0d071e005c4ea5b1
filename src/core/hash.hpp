#pragma once
// SHA-256 (OpenSSL) of bytes in memory.

#include <string>
#include <string_view>

namespace llmsweep {

// Lowercase hex, 64 characters.
std::string sha256_hex(std::string_view bytes);

} // namespace llmsweep
