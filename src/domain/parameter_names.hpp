#pragma once
// The names of the parameters that code computes with besides walking the table of domain/knobs.hpp (a test's
// sizes, the load's settings the store keeps per load, the image of a vision test, server mode's client loop):
// each row of the table takes its name from here, and every other layer names it through here, so that a
// misspelled name fails to compile rather than to find a column.

#include <string_view>

namespace llmsweep::param {

// A test's sizes.
inline constexpr std::string_view n_prompt = "n_prompt", n_gen = "n_gen", n_depth = "n_depth";
// The load's settings.
inline constexpr std::string_view load_mode = "load_mode", cache_state = "cache_state", n_gpu_layers = "n_gpu_layers",
                                  huge_pages = "huge_pages", mmproj = "mmproj";
// The context's.
inline constexpr std::string_view n_threads = "n_threads", n_ubatch = "n_ubatch", type_k = "type_k", type_v = "type_v",
                                  no_op_offload = "no_op_offload";
// The image before a vision test's prompt.
inline constexpr std::string_view image_size = "image_size", image = "image", images = "images";
// Server mode's client loop.
inline constexpr std::string_view concurrency = "concurrency", rate = "rate";

} // namespace llmsweep::param
