#pragma once
// The table printed at the end of a sweep, llama-bench-like: one row per result, with ± and CV.

#include "store/store.hpp"

namespace llmsweep::cli {

void print_summary(store::Store& store, int64_t run_id);

} // namespace llmsweep::cli
