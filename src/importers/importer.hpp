#pragma once
// Imports llama-bench's output files into the store: each file whole or not at all, a run per file (and per
// llama.cpp build and machine in it) that records where the results came from, and nothing twice.

#include "store/store.hpp"

#include <string>
#include <vector>

namespace llmsweep::importers {

struct ImportOutcome {
    std::string format; // json, jsonl, csv or sql
    size_t tests = 0;
    std::vector<int64_t> run_ids;  // the runs written, or those of the earlier import
    bool already_imported = false; // the same content was imported before: nothing was written
};

// Imports `path` ("-": standard input). Throws Error naming the file (and the line or record, and the
// problem); the store is then unchanged.
ImportOutcome import_file(store::Store& store, const std::string& path);

} // namespace llmsweep::importers
