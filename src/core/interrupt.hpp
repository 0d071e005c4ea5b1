#pragma once
// Ctrl-C handling for long work: the first SIGINT/SIGTERM sets a flag that loops poll, so that they can clean up
// (remove a half-written file, finish a transaction) and throw Interrupted; a second one kills as usual.

namespace llmsweep {

void install_interrupt_handler();
bool interrupt_requested() noexcept;
// The signal that asked (SIGINT or SIGTERM), 0 before one did.
int interrupt_signal() noexcept;
// Throws Interrupted when a stop was requested.
void throw_if_interrupted();

} // namespace llmsweep
