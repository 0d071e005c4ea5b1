#include "engine/page_cache.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

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

} // namespace

uint64_t resident_bytes(const std::string& path) {
    Fd fd(path);
    const off_t size = file_size(fd.get());
    if (size == 0) return 0;
    void* map = mmap(nullptr, static_cast<size_t>(size), PROT_READ, MAP_SHARED, fd.get(), 0);
    if (map == MAP_FAILED) return 0;
    const long page = sysconf(_SC_PAGESIZE);
    const size_t pages = (static_cast<size_t>(size) + page - 1) / page;
    std::vector<unsigned char> in_core(pages);
    uint64_t resident = 0;
    if (mincore(map, static_cast<size_t>(size), in_core.data()) == 0)
        for (unsigned char flag : in_core) resident += (flag & 1) ? static_cast<uint64_t>(page) : 0;
    munmap(map, static_cast<size_t>(size));
    return resident > static_cast<uint64_t>(size) ? static_cast<uint64_t>(size) : resident;
}

void evict_from_page_cache(const std::string& path) {
    Fd fd(path);
    fdatasync(fd.get());
    posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
}

void warm_page_cache(const std::string& path) {
    Fd fd(path);
    posix_fadvise(fd.get(), 0, 0, POSIX_FADV_WILLNEED);
    std::vector<char> buffer(1 << 20);
    while (read(fd.get(), buffer.data(), buffer.size()) > 0) {}
}

} // namespace llmsweep::engine
