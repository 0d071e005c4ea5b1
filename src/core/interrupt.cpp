#include "core/interrupt.hpp"

#include "core/error.hpp"

#include <atomic>
#include <csignal>

namespace llmsweep {
namespace {

std::atomic<bool> g_requested{false};
std::atomic<int> g_signal{0};

extern "C" void on_signal(int signo) {
    g_signal.store(signo);
    if (g_requested.exchange(true)) {
        // Second request: the user means it.
        std::signal(signo, SIG_DFL);
        std::raise(signo);
    }
}

} // namespace

void install_interrupt_handler() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

bool interrupt_requested() noexcept { return g_requested.load(std::memory_order_relaxed); }

int interrupt_signal() noexcept { return g_signal.load(); }

Interrupted::Interrupted()
    : Error(interrupt_signal() == SIGTERM ? "terminated" : "interrupted",
            interrupt_signal() == SIGTERM ? ExitCode::terminated : ExitCode::interrupted) {}

void throw_if_interrupted() {
    if (interrupt_requested()) throw Interrupted();
}

} // namespace llmsweep
