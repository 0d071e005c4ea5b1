#include "core/atomic_file.hpp"

#include "core/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <unistd.h>

namespace llmsweep {
namespace fs = std::filesystem;

AtomicFile::AtomicFile(fs::path final_path)
    : final_path_(std::move(final_path)),
      temp_path_(final_path_.parent_path() / fmt::format(".{}.{}.partial", final_path_.filename().string(), getpid())) {
    file_ = std::fopen(temp_path_.c_str(), "wb");
    if (!file_)
        throw Error(fmt::format("cannot write '{}': {}; choose an output path in a writable folder",
                                final_path_.string(), std::strerror(errno)));
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
}

AtomicFile::~AtomicFile() {
    if (file_) std::fclose(file_);
    if (!committed_) {
        std::error_code ignored;
        fs::remove(temp_path_, ignored);
    }
}

void AtomicFile::write(const void* data, size_t bytes) {
    if (bytes != 0 && std::fwrite(data, 1, bytes, file_) != bytes) fail_write();
}

void AtomicFile::commit() {
    if (std::fflush(file_) != 0 || fsync(fileno(file_)) != 0) fail_write();
    const int rc = std::fclose(file_);
    file_ = nullptr;
    if (rc != 0) fail_write();
    std::error_code ec;
    fs::rename(temp_path_, final_path_, ec);
    if (ec) throw Error(fmt::format("cannot create '{}': {}", final_path_.string(), ec.message()));
    committed_ = true;
}

void AtomicFile::fail_write() const {
    const int err = errno;
    if (err == ENOSPC)
        throw Error(
            fmt::format("the disk holding '{}' is full; free some space or write elsewhere", final_path_.string()));
    throw Error(fmt::format("cannot write '{}': {}", final_path_.string(), std::strerror(err)));
}

} // namespace llmsweep
