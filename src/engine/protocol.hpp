#pragma once
// JSON forms of the worker protocol's messages (see worker.hpp).

#include "engine/measurement.hpp"

#include <nlohmann/json.hpp>

namespace llmsweep::engine {

nlohmann::json load_request_json(const LoadRequest& request);
LoadRequest load_request_from_json(const nlohmann::json& json);

nlohmann::json run_request_json(const RunRequest& request);
RunRequest run_request_from_json(const nlohmann::json& json);

nlohmann::json to_json(const LoadOutcome& outcome);
LoadOutcome load_outcome_from_json(const nlohmann::json& json);

nlohmann::json to_json(const MappingState& state);
MappingState mapping_state_from_json(const nlohmann::json& json);

nlohmann::json to_json(const Measurement& measurement);
Measurement measurement_from_json(const nlohmann::json& json);

} // namespace llmsweep::engine
