#pragma once
// A file written whole or not at all: written under a temporary name beside its final one, then fsynced and
// renamed into place by commit(). Destroyed uncommitted (an error, Ctrl-C), it leaves nothing behind; a full
// disk says so and names the file.

#include <cstddef>
#include <cstdio>
#include <filesystem>

namespace llmsweep {

class AtomicFile {
public:
    // Throws Error when the folder cannot take the file.
    explicit AtomicFile(std::filesystem::path final_path);
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();

    FILE* get() const { return file_; }
    void write(const void* data, size_t bytes);
    void commit();

private:
    [[noreturn]] void fail_write() const;

    std::filesystem::path final_path_;
    std::filesystem::path temp_path_;
    FILE* file_ = nullptr;
    bool committed_ = false;
};

} // namespace llmsweep
