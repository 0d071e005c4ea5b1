#pragma once
// A thin RAII layer over SQLite's C API: a connection, prepared statements with parameters bound by name,
// and transactions that roll back unless committed. Errors throw llmsweep::Error with SQLite's message.

#include "core/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

// SQLite's own types, named only: sqlite3.h stays inside the store.
struct sqlite3;
struct sqlite3_stmt;

namespace llmsweep::store {

using Value = std::variant<std::monostate, int64_t, double, std::string>;

// A failure SQLite reported, with its primary result code (SQLITE_FULL, SQLITE_NOTADB, ...).
class DatabaseError : public Error {
public:
    DatabaseError(const std::string& message, int code) : Error(message), code_(code) {}
    int code() const noexcept { return code_; } // primary: rc & 0xFF

private:
    int code_;
};

class Database {
public:
    enum class Mode { create, existing, read_only };
    // Opens the file (creating it with Mode::create); throws Error naming the path on failure. Read-only
    // opens never write, also where the folder or the mount is read-only.
    Database(const std::string& path, Mode mode);
    // An empty database in memory.
    Database();
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    void exec(const std::string& sql);
    sqlite3* handle() const { return db_; }
    const std::string& path() const { return path_; }
    int64_t last_insert_id() const;
    // Writers wait for another process's write lock as long as it is held (a sweep never aborts because an
    // import holds the database); `notice` is called once when the wait has lasted a few seconds. Ctrl-C ends
    // the wait with an error.
    void on_long_lock_wait(std::function<void()> notice) { lock_wait_notice_ = std::move(notice); }
    // Copies every table of `from` into this database (SQLite's online backup).
    void copy_from(Database& from);

private:
    static int wait_for_lock(void* self, int attempts);

    sqlite3* db_ = nullptr;
    std::string path_;
    std::function<void()> lock_wait_notice_;
    std::chrono::steady_clock::time_point waiting_since_;
    bool noticed_ = false;
};

class Statement {
public:
    Statement(Database& db, const std::string& sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Binds `:name`; throws if the statement has no such parameter (a typo in a column name).
    Statement& bind(std::string_view name, const Value& value);
    Statement& bind(int index, const Value& value);
    // Steps once: true while a row is available.
    bool step();
    // Runs to completion (for statements without rows) and resets for reuse.
    void run();
    void reset();

    int64_t column_int(int index) const;
    double column_double(int index) const;
    std::string column_text(int index) const;
    // The same without a copy: valid until the statement steps, resets or reads this column again.
    std::string_view column_view(int index) const;
    bool column_is_null(int index) const;
    bool column_is_integer(int index) const;
    Value column_value(int index) const; // as SQLite stored it: NULL, integer, real or text
    // The same by the result column's name (its alias where the SQL gives one), so that a reader does not depend
    // on the order of its SELECT; throws Error for a name the statement does not return.
    int column_index(std::string_view name) const;
    int64_t column_int(std::string_view name) const { return column_int(column_index(name)); }
    double column_double(std::string_view name) const { return column_double(column_index(name)); }
    std::string column_text(std::string_view name) const { return column_text(column_index(name)); }
    bool column_is_null(std::string_view name) const { return column_is_null(column_index(name)); }
    template <typename T>
    std::optional<T> column_optional(std::string_view name) const {
        const int index = column_index(name);
        if (column_is_null(index)) return std::nullopt;
        if constexpr (std::is_same_v<T, double>) return column_double(index);
        else return column_int(index);
    }

private:
    Database& db_;
    sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() was called.
class Transaction {
public:
    explicit Transaction(Database& db);
    ~Transaction();
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    void commit();

private:
    Database& db_;
    bool done_ = false;
};

} // namespace llmsweep::store
