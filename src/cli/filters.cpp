#include "cli/filters.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace llmsweep::cli {

analysis::Filters parse_filters(const std::string& model, std::optional<int64_t> run,
                                const std::vector<std::string>& where) {
    analysis::Filters filters;
    if (!model.empty()) filters.model = model;
    filters.run_id = run;
    for (const auto& condition : where) {
        const auto equals = condition.find('=');
        if (equals == std::string::npos || equals == 0)
            throw UsageError(fmt::format("--where '{}' is not PARAM=VALUE", condition));
        const std::string name = analysis::parameter_named(condition.substr(0, equals));
        const std::string value = condition.substr(equals + 1);
        if (name == "run") { // the run is not a parameter of a point, but selects like one
            char* end = nullptr;
            const long long id = std::strtoll(value.c_str(), &end, 10);
            if (value.empty() || *end != '\0' || id <= 0)
                throw UsageError(fmt::format("--where run='{}': a run is its number (llmsweep report lists them "
                                             "under Methodology)",
                                             value));
            if (filters.run_id && *filters.run_id != id)
                throw UsageError("--run and --where run= name different runs; give one");
            filters.run_id = id;
            continue;
        }
        filters.where.emplace_back(name, value);
    }
    return filters;
}

} // namespace llmsweep::cli
