#pragma once
// The results of a store as the analysis sees them: one record per (point, metric), every parameter as text,
// names and values exactly as the data has them.

#include "store/store.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace llmsweep::analysis {

struct Record {
    std::string model;                          // the model file's name, from the data
    std::string metric;                         // pp or tg
    std::map<std::string, std::string> params;  // parameter column -> value, for every swept parameter
    double avg_ts = 0;
    double stddev_ts = 0;
    int64_t repetitions = 0;
    std::string status;                         // ok, failed, timeout, crashed, running

    // Coefficient of variation of the repetitions, in percent.
    double cv_percent() const { return avg_ts > 0 ? 100.0 * stddev_ts / avg_ts : 0.0; }
};

struct Filters {
    std::optional<std::string> model;                    // file name or path as stored
    std::vector<std::pair<std::string, std::string>> where;  // parameter = value
};

struct Dataset {
    std::vector<Record> records;   // every status; analyses use the ok ones
};

// The parameters a report can compare or filter on: the results' own columns, plus the run's build commit
// and host.
const std::vector<std::string>& parameter_names();

// Throws UsageError for an unknown parameter in the filters, naming the known ones.
Dataset load_dataset(store::Store& store, const Filters& filters);

// Parameters with more than one value among the ok records, in parameter_names() order.
std::vector<std::string> varying_parameters(const Dataset& data);
// The distinct values of a parameter among the ok records, numbers in numeric order, text in first-seen order.
std::vector<std::string> values_of(const Dataset& data, const std::string& parameter);

} // namespace llmsweep::analysis
