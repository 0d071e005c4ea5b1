#include "domain/image.hpp"

#include <fmt/format.h>

#include <random>

namespace llmsweep::domain {

std::vector<unsigned char> synthetic_pixels(int64_t size, uint64_t seed) {
    std::vector<unsigned char> rgb(static_cast<size_t>(size * size * 3));
    std::mt19937 rng(static_cast<uint32_t>(seed ^ (seed >> 32)));
    std::uniform_int_distribution<int> noise(0, 31);
    for (int64_t y = 0; y < size; ++y)
        for (int64_t x = 0; x < size; ++x)
            for (int64_t c = 0; c < 3; ++c)
                rgb[static_cast<size_t>((y * size + x) * 3 + c)] =
                    static_cast<unsigned char>((x * (c + 1) + y * (3 - c) + noise(rng)) % 256);
    return rgb;
}

std::string portable_pixmap(int64_t width, int64_t height, const std::vector<unsigned char>& rgb) {
    std::string file = fmt::format("P6\n{} {}\n255\n", width, height);
    file.append(reinterpret_cast<const char*>(rgb.data()), rgb.size());
    return file;
}

} // namespace llmsweep::domain
