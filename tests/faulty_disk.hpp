#pragma once
// A disk that fills at a chosen moment, for SQLite: a VFS over the default one, installed as the default for the
// process while it lives, whose writes fail with SQLITE_FULL from a chosen write on (as SQLite's own tests fault
// their I/O through a test VFS). Deterministic, and without root or a small file system to mount.

#include <cstdint>
#include <functional>
#include <string>

struct sqlite3_vfs;

namespace llmsweep::test {

class FaultyDisk {
public:
    FaultyDisk();  // installs itself as SQLite's default VFS
    ~FaultyDisk(); // puts the previous default back
    FaultyDisk(const FaultyDisk&) = delete;
    FaultyDisk& operator=(const FaultyDisk&) = delete;

    // The `write`-th write from now (1 for the next) and every one after it fail, as on a full disk.
    void fill_at(int64_t write);
    // Writes succeed again, and are counted from zero.
    void free_space();
    int64_t writes() const { return writes_; } // attempted since the last free_space (or since it was made)
    int64_t failed() const { return failed_; } // of them, failed

    // What an operation did on a disk that filled at one of its writes.
    struct Attempt {
        bool failed = false;       // it threw llmsweep's Error ...
        std::string error;         // ... saying this
        int64_t failed_writes = 0; // writes that failed before it gave up
    };
    // Runs `operation` with the disk full from its `write`-th write on, then frees the space.
    Attempt attempt_full_at(int64_t write, const std::function<void()>& operation);

    // For the VFS's functions: whether the next write may go ahead (counting it), and the VFS it stands on.
    bool write_allowed();
    sqlite3_vfs* base() const { return base_; }

private:
    sqlite3_vfs* base_ = nullptr;
    sqlite3_vfs* vfs_ = nullptr;
    int64_t writes_ = 0, failed_ = 0, fill_at_ = 0; // 0: never full
};

} // namespace llmsweep::test
