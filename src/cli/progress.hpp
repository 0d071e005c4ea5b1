#pragma once
// Progress of a sweep on stderr: a redrawn bar on a terminal, one plain line per measurement otherwise.

#include "sweep/observer.hpp"

#include <memory>

namespace llmsweep::cli {

enum class ProgressStyle { none, lines, bar };

std::unique_ptr<sweep::SweepObserver> make_progress_observer(ProgressStyle style);

} // namespace llmsweep::cli
