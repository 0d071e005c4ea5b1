#pragma once
// A vision-language model's image path per point (results `img` and `ipp`, their samples and the loads they ran
// on): what an image costs to encode, per image and per slice, the tokens it becomes, their prefill, and the
// first image after a load against the later ones (the vision tower cold and warm).

#include "analysis/dataset.hpp"
#include "store/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace llmsweep::analysis {

struct VisionPoint {
    const Record* record = nullptr; // the point's img result
    std::string model, value;       // value: of the compared parameter
    // The other parameters that vary, as "name=value, ..." (those of the test sizes and the image left out).
    std::string settings;
    int64_t image_size = 0;  // px, of a synthetic square image; 0 for an image file
    std::string image;       // the image file, "" for a synthetic one
    int64_t per_request = 1; // images each request began with (--images)
    size_t images = 0;       // the images encoded: its repetitions times per_request
    // Per image (a request's figures over its images): tokens; slices, none in databases that did not record them;
    // the encode's time, its mean and sd over the repetitions.
    double tokens = 0;
    std::optional<double> slices;
    double encode_ms = 0, encode_ms_sd = 0;
    std::optional<double> slice_ms;    // encode time per slice
    double encode_tps = 0;             // the img result's tokens per second
    std::optional<double> prefill_tps; // the ipp result's, where the point has one
    // The first image after each load (its warm-up's, the vision tower cold) against this point's later images
    // on the same loads, both per token (the first may be of another size): the first's time over the later
    // ones', less 1, in percent; none where no load of the point recorded its first image.
    std::optional<double> first_image_pct;
    size_t first_images = 0; // the loads that did
};

// The `img` results of `data` that succeeded, each with its samples and its point's `ipp`, by model, compared
// value, settings and image (sizes ascending, then files). `varying` names the parameters that vary.
std::vector<VisionPoint> summarize_vision(store::Store& store, const Dataset& data, const std::string& compare,
                                          const std::vector<std::string>& varying);

} // namespace llmsweep::analysis
