#pragma once
// What a report calls a model file: its file name, or where several files of one name were measured
// (orgA/x.gguf and orgB/x.gguf), as many of its folders as tell it from the others (orgA/x.gguf).

#include <map>
#include <string>
#include <vector>

namespace llmsweep::domain {

// Each path's short name, every distinct path a distinct name.
std::map<std::string, std::string> short_model_names(const std::vector<std::string>& paths);

} // namespace llmsweep::domain
