#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace llmsweep {

void for_each_index(size_t n, const std::function<void(size_t)>& each, unsigned threads) {
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::exception_ptr> errors(n);
    std::atomic<size_t> next{0};
    const auto work = [&] {
        for (size_t i = next++; i < n; i = next++) try {
                each(i);
            } catch (...) {
                errors[i] = std::current_exception();
            }
    };
    {
        std::vector<std::jthread> helpers;
        for (size_t t = 1; t < std::min<size_t>(threads, n); ++t) helpers.emplace_back(work);
        work(); // this thread too
    }           // joins
    for (const std::exception_ptr& error : errors)
        if (error) std::rethrow_exception(error);
}

} // namespace llmsweep
