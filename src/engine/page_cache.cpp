#include "engine/page_cache.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace llmsweep::engine {
namespace {

class Fd {
public:
    explicit Fd(const std::string& path) : fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        if (fd_ < 0) throw Error(fmt::format("cannot open '{}': {}", path, std::strerror(errno)));
    }
    ~Fd() { close(fd_); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

off_t file_size(int fd) {
    struct stat st {};
    return fstat(fd, &st) == 0 ? st.st_size : 0;
}

// Which of the file's pages are resident: one flag per page (bit 0 set: resident); empty where the file is
// empty or cannot be mapped.
std::vector<unsigned char> residency(int fd, off_t size) {
    if (size == 0) return {};
    void* map = mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) return {};
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> in_core((static_cast<size_t>(size) + page - 1) / page);
    if (mincore(map, static_cast<size_t>(size), in_core.data()) != 0) in_core.clear();
    munmap(map, static_cast<size_t>(size));
    return in_core;
}

} // namespace

uint64_t resident_bytes(const std::string& path) {
    Fd fd(path);
    const off_t size = file_size(fd.get());
    const auto page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    uint64_t resident = 0;
    for (unsigned char flag : residency(fd.get(), size)) resident += (flag & 1) ? page : 0;
    return std::min(resident, static_cast<uint64_t>(size));
}

void evict_from_page_cache(const std::string& path) {
    Fd fd(path);
    fdatasync(fd.get());
    posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
}

void warm_page_cache(const std::string& path) {
    Fd fd(path);
    const off_t size = file_size(fd.get());
    const std::vector<unsigned char> in_core = residency(fd.get(), size);
    const auto page = static_cast<off_t>(sysconf(_SC_PAGESIZE));
    // Only the pages that are not resident are read: a warm file (every later visit of a sweep) costs one
    // mincore, not a read of the whole file (at the 5 GB/s this 2 vCPU host copies from its page cache, 2 s
    // per visit of a 10 GiB model).
    std::vector<char> buffer(1 << 20);
    const auto chunk = static_cast<off_t>(buffer.size());
    off_t offset = 0;
    while (offset < size) {
        const size_t index = static_cast<size_t>(offset / page);
        if (index < in_core.size() && (in_core[index] & 1)) {
            offset += page;
            continue;
        }
        const ssize_t got = pread(fd.get(), buffer.data(), static_cast<size_t>(std::min(chunk, size - offset)), offset);
        if (got <= 0) break;
        offset += got;
    }
}

} // namespace llmsweep::engine
