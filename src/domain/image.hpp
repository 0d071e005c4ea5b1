#pragma once
// The synthetic images a sweep begins its requests with (--image-size): the same pixels whether a worker hands
// them to llama.cpp's mtmd directly or a client sends them to llama-server as a file.

#include <cstdint>
#include <string>
#include <vector>

namespace llmsweep::domain {

// A size x size RGB image, 3 bytes a pixel, row by row: a gradient with seeded noise, so that no two requests or
// repetitions encode the same pixels (a server caches an image it has seen).
std::vector<unsigned char> synthetic_pixels(int64_t size, uint64_t seed);

// RGB pixels as a binary portable pixmap (PPM, "P6"), which llama.cpp's image decoder (stb_image) reads: the
// smallest file that carries them as they are.
std::string portable_pixmap(int64_t width, int64_t height, const std::vector<unsigned char>& rgb);

} // namespace llmsweep::domain
