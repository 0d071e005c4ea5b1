#pragma once
// Progress of a sweep on stderr: a redrawn bar on a terminal, one plain line per measurement otherwise.

#include "sweep/observer.hpp"
#include "sweep/plan.hpp"

#include <memory>

namespace llmsweep::cli {

enum class ProgressStyle { none, lines, bar };

// Each point is named by its model, every setting the plan has several values of, and its test sizes.
std::unique_ptr<sweep::SweepObserver> make_progress_observer(ProgressStyle style, const sweep::Plan& plan);

} // namespace llmsweep::cli
