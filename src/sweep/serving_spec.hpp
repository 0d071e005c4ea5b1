#pragma once
// Server mode's part of the sweep spec (SweepSpec::Serving): its settings, as the command line and the TOML file
// name them, what it needs and refuses, and its part of the spec's JSON.

#include "sweep/spec.hpp"

#include <nlohmann/json_fwd.hpp>

#include <vector>

namespace llmsweep::sweep {

// --concurrency ... --api, in --help's order (its knobs, -np ... --gen-dist, are domain/knobs.hpp's).
const std::vector<Setting>& serving_settings();
// UsageError for a serving setting outside server mode, or a server-mode spec that cannot mean anything.
void validate_serving(const SweepSpec& spec);
nlohmann::json serving_json(const SweepSpec& spec);

} // namespace llmsweep::sweep
