#include "core/text.hpp"

#include <fstream>
#include <iterator>

namespace llmsweep {

std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace llmsweep
