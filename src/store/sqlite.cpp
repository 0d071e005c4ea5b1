#include "store/sqlite.hpp"

#include <sqlite3.h>

#include "core/error.hpp"
#include "core/interrupt.hpp"

#include <fmt/format.h>

#include <chrono>

namespace llmsweep::store {
namespace {

// One line that says what went wrong and what to do; never the SQL (hundreds of characters of it).
[[noreturn]] void fail(sqlite3* db, const std::string& path, int rc) {
    if (interrupt_requested() && (rc & 0xFF) == SQLITE_BUSY) throw Interrupted();
    const std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    std::string what;
    switch (rc & 0xFF) {
    case SQLITE_FULL: what = "the disk is full; free some space, then run the same command again"; break;
    case SQLITE_READONLY: what = "the database or its folder is read-only; choose a writable --db"; break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: what = "another process holds the database; try again when it is done"; break;
    case SQLITE_IOERR: what = "the disk failed to read or write; check the file system"; break;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: what = "the file is damaged or not a database"; break;
    case SQLITE_CONSTRAINT: what = "a row broke the schema's rules"; break;
    default: break;
    }
    throw DatabaseError(fmt::format("database '{}': {}{}", path, why, what.empty() ? "" : "; " + what), rc & 0xFF);
}

// A file: URI for `path`, so that read-only opens can add parameters; '%', '?' and '#' are percent-encoded.
std::string file_uri(const std::string& path, std::string_view parameters) {
    std::string uri = "file:";
    for (const char c : path)
        uri += (c == '%' || c == '?' || c == '#') ? fmt::format("%{:02X}", static_cast<unsigned char>(c))
                                                  : std::string(1, c);
    return uri + "?" + std::string(parameters);
}

sqlite3* open(const std::string& name, int flags, std::string& why) {
    sqlite3* db = nullptr;
    // A connection is only ever used by the thread that opened it: SQLite's own locking of it is cost without use.
    if (sqlite3_open_v2(name.c_str(), &db, flags | SQLITE_OPEN_NOMUTEX, nullptr) == SQLITE_OK) {
        // A database only read (a report's, a merge's input) may come from anywhere: nothing in its schema may
        // call a function with side effects. (Written ones are llmsweep's own, whose triggers use json_extract.)
        if (flags & SQLITE_OPEN_READONLY) sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
        return db;
    }
    why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return nullptr;
}

// Whether the database's schema can be read (a WAL database on a read-only folder cannot make its -shm).
bool readable(sqlite3* db) {
    return sqlite3_exec(db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr) == SQLITE_OK;
}

} // namespace

Database::Database(const std::string& path, Mode mode) : path_(path) {
    std::string why;
    if (mode != Mode::read_only) {
        db_ = open(path, SQLITE_OPEN_READWRITE | (mode == Mode::create ? SQLITE_OPEN_CREATE : 0), why);
    } else {
        db_ = open(file_uri(path, "mode=ro"), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, why);
        if (db_ && !readable(db_)) {
            // A read-only folder or mount: nothing can be writing the file, so it can be read as immutable.
            sqlite3_close(db_);
            db_ = open(file_uri(path, "immutable=1"), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, why);
        }
    }
    if (!db_) throw DatabaseError(fmt::format("cannot open database '{}': {}", path, why), SQLITE_CANTOPEN);
    sqlite3_extended_result_codes(db_, 1);
    if (mode == Mode::read_only) sqlite3_busy_timeout(db_, 5000); // only a recovery can block a reader
    else sqlite3_busy_handler(db_, &Database::wait_for_lock, this);
}

int Database::wait_for_lock(void* self, int attempts) {
    auto* db = static_cast<Database*>(self);
    if (interrupt_requested()) return 0;
    const auto now = std::chrono::steady_clock::now();
    if (attempts == 0) db->waiting_since_ = now;
    if (!db->noticed_ && now - db->waiting_since_ > std::chrono::seconds(3)) {
        db->noticed_ = true;
        if (db->lock_wait_notice_) db->lock_wait_notice_();
    }
    // 10 ms at first, then 100 ms: short locks cost little, long ones little CPU.
    sqlite3_sleep(now - db->waiting_since_ < std::chrono::milliseconds(500) ? 10 : 100);
    return 1;
}

Database::Database() : path_(":memory:") {
    std::string why;
    db_ = open(":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, why);
    if (!db_) throw Error(fmt::format("cannot open a database in memory: {}", why));
    sqlite3_extended_result_codes(db_, 1);
}

void Database::copy_from(Database& from) {
    sqlite3_backup* backup = sqlite3_backup_init(db_, "main", from.handle(), "main");
    if (!backup) fail(db_, path_, sqlite3_errcode(db_));
    const int rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) fail(db_, from.path(), rc);
}

Database::~Database() { sqlite3_close_v2(db_); }

void Database::exec(const std::string& sql) {
    if (const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr); rc != SQLITE_OK) fail(db_, path_, rc);
}

Statement::Statement(Database& db, const std::string& sql) : db_(db) {
    if (const int rc = sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &stmt_, nullptr); rc != SQLITE_OK)
        fail(db.handle(), db.path(), rc);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(std::string_view name, const Value& value) {
    const std::string parameter = ":" + std::string(name);
    const int index = sqlite3_bind_parameter_index(stmt_, parameter.c_str());
    if (index == 0) throw Error(fmt::format("internal: no parameter {} in '{}'", parameter, sqlite3_sql(stmt_)));
    return bind(index, value);
}

Statement& Statement::bind(int index, const Value& value) {
    int rc = SQLITE_OK;
    if (std::holds_alternative<std::monostate>(value)) rc = sqlite3_bind_null(stmt_, index);
    else if (const auto* i = std::get_if<int64_t>(&value)) rc = sqlite3_bind_int64(stmt_, index, *i);
    else if (const auto* d = std::get_if<double>(&value)) rc = sqlite3_bind_double(stmt_, index, *d);
    else {
        const auto& s = std::get<std::string>(value);
        rc = sqlite3_bind_text(stmt_, index, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
    if (rc != SQLITE_OK) fail(db_.handle(), db_.path(), rc);
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    sqlite3_reset(stmt_);
    fail(db_.handle(), db_.path(), rc);
}

void Statement::run() {
    while (step()) {}
    reset();
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int64_t Database::last_insert_id() const { return sqlite3_last_insert_rowid(db_); }

int Statement::column_index(std::string_view name) const {
    for (int i = 0, n = sqlite3_column_count(stmt_); i < n; ++i)
        if (const char* column = sqlite3_column_name(stmt_, i); column && name == column) return i;
    throw Error(fmt::format("internal: the statement returns no column {}", name));
}

int64_t Statement::column_int(int index) const { return sqlite3_column_int64(stmt_, index); }
double Statement::column_double(int index) const { return sqlite3_column_double(stmt_, index); }
bool Statement::column_is_null(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }
bool Statement::column_is_integer(int index) const { return sqlite3_column_type(stmt_, index) == SQLITE_INTEGER; }
Value Statement::column_value(int index) const {
    switch (sqlite3_column_type(stmt_, index)) {
    case SQLITE_NULL: return std::monostate{};
    case SQLITE_INTEGER: return column_int(index);
    case SQLITE_FLOAT: return column_double(index);
    default: return column_text(index);
    }
}
std::string Statement::column_text(int index) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
    return text ? std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, index))) : std::string();
}

std::string_view Statement::column_view(int index) const {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
    return text ? std::string_view(text, static_cast<size_t>(sqlite3_column_bytes(stmt_, index))) : std::string_view();
}

Transaction::Transaction(Database& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
    if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::commit() {
    db_.exec("COMMIT");
    done_ = true;
}

} // namespace llmsweep::store
