#include "llama_bench/output.hpp"

#include <csv.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <functional>
#include <memory>
#include <set>

namespace llmsweep::llama_bench {
namespace {

size_t line_of(std::string_view content, size_t offset) {
    offset = std::min(offset, content.size());
    return 1 + static_cast<size_t>(std::count(content.begin(), content.begin() + static_cast<ptrdiff_t>(offset), '\n'));
}

// The offset of the first byte that is not part of well-formed UTF-8, or npos.
size_t invalid_utf8_at(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
        if (length == 0 || (length == 2 && c < 0xC2) || i + length > s.size()) return i;
        for (size_t k = 1; k < length; ++k)
            if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return i;
        const auto c1 = static_cast<unsigned char>(length > 1 ? s[i + 1] : 0);
        if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 >= 0xA0) || (c == 0xF0 && c1 < 0x90) ||
            (c == 0xF4 && c1 >= 0x90) || c > 0xF4)
            return i; // overlong, surrogate or beyond U+10FFFF
        i += length;
    }
    return std::string_view::npos;
}

std::string_view without_bom(std::string_view content) {
    return content.substr(0, 3) == "\xEF\xBB\xBF" ? content.substr(3) : content;
}

std::string_view json_type(const nlohmann::json& value) {
    return value.is_number()    ? "a number"
           : value.is_string()  ? "a string"
           : value.is_array()   ? "an array"
           : value.is_boolean() ? "a boolean"
           : value.is_null()    ? "null"
                                : "an object";
}

// Refuses what nlohmann's parser would take silently: a key twice in one object (the last value would win) and
// a NUL character in a string (no llama-bench field holds one; it would cut names short in C APIs).
class StrictJson {
public:
    bool operator()(int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (event == Event::object_start) keys_.resize(static_cast<size_t>(depth) + 1), keys_.back().clear();
        if (event == Event::key) {
            const std::string& key = parsed.get_ref<const std::string&>();
            if (!keys_.empty() && !keys_.back().insert(key).second)
                throw FormatError(fmt::format("the key '{}' appears twice in one object", key));
            if (key.find('\0') != std::string::npos) throw FormatError("a key holds a NUL character");
        }
        if (event == Event::value && parsed.is_string() &&
            parsed.get_ref<const std::string&>().find('\0') != std::string::npos)
            throw FormatError("a value holds a NUL character (\\u0000)");
        return true;
    }

private:
    std::vector<std::set<std::string>> keys_; // per open object, innermost last
};

// `where` names the part being parsed for StrictJson's complaints (default: the line it starts on).
nlohmann::json parse_json_text(std::string_view text, std::string_view content, size_t base_offset,
                               nlohmann::json::parser_callback_t callback = nullptr,
                               const std::function<std::string()>& where = nullptr) {
    StrictJson strict;
    auto checked = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
        try {
            strict(depth, event, parsed);
        } catch (const FormatError& e) {
            throw FormatError(fmt::format(
                "{}: {}", where ? where() : fmt::format("line {}", line_of(content, base_offset)), e.what()));
        }
        return callback ? callback(depth, event, parsed) : true;
    };
    try {
        return nlohmann::json::parse(text, checked);
    } catch (const nlohmann::json::parse_error& e) {
        const size_t at = base_offset + (e.byte > 0 ? e.byte - 1 : 0);
        const bool at_end = e.byte >= text.size();
        std::string what = e.what();
        if (const auto colon = what.rfind(": "); colon != std::string::npos) what = what.substr(colon + 2);
        throw FormatError(fmt::format("line {}: {}{}", line_of(content, at),
                                      at_end ? "the JSON ends early (truncated?): " : "not valid JSON: ", what));
    } catch (const nlohmann::json::exception& e) {
        // "[json.exception.out_of_range.406] number overflow parsing '1e400'": the words after the tag.
        std::string what = e.what();
        if (const auto tag_end = what.find("] "); what.rfind("[json.exception", 0) == 0 && tag_end != std::string::npos)
            what = what.substr(tag_end + 2);
        throw FormatError(fmt::format("line {}: {}", line_of(content, base_offset), what));
    }
}

// --- SQL ---------------------------------------------------------------------------------------------------

struct Token {
    enum Kind { word, string, number, punct, end } kind = end;
    std::string text;
    size_t line = 0;
};

class SqlLexer {
public:
    explicit SqlLexer(std::string_view content) : s_(content) {}

    Token next() {
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) line_ += s_[pos_++] == '\n';
        Token t{Token::end, "", line_};
        if (pos_ >= s_.size()) return t;
        const char c = s_[pos_];
        if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            t.kind = Token::word;
            while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '_'))
                t.text += s_[pos_++];
        } else if (c == '\'') {
            t.kind = Token::string;
            for (++pos_;; ++pos_) {
                if (pos_ >= s_.size())
                    throw FormatError(fmt::format("line {}: a string that never ends (truncated?)", t.line));
                if (s_[pos_] == '\'') {
                    if (pos_ + 1 < s_.size() && s_[pos_ + 1] == '\'') {
                        t.text += '\'';
                        ++pos_;
                        continue;
                    }
                    ++pos_;
                    break;
                }
                line_ += s_[pos_] == '\n';
                t.text += s_[pos_];
            }
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   ((c == '-' || c == '+' || c == '.') && pos_ + 1 < s_.size())) {
            t.kind = Token::number;
            while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                        std::string_view("+-.").find(s_[pos_]) != std::string_view::npos))
                t.text += s_[pos_++];
        } else if (std::string_view("(),;").find(c) != std::string_view::npos) {
            t.kind = Token::punct;
            t.text = std::string(1, c);
            ++pos_;
        } else {
            throw FormatError(fmt::format("line {}: unexpected character '{}' in SQL", t.line, c));
        }
        return t;
    }

private:
    std::string_view s_;
    size_t pos_ = 0;
    size_t line_ = 1;
};

std::string upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

class SqlParser {
public:
    SqlParser(std::string_view content, const TestSink& each) : lexer_(content), each_(each) { advance(); }

    void parse() {
        while (token_.kind != Token::end) {
            const std::string keyword = upper(token_.text);
            if (token_.kind == Token::word && keyword == "CREATE") {
                create_table();
            } else if (token_.kind == Token::word && keyword == "INSERT") {
                insert();
            } else if (token_.kind == Token::punct && token_.text == ";") {
                advance();
            } else {
                throw FormatError(fmt::format(
                    "line {}: only llama-bench's CREATE TABLE llama_bench and INSERT INTO llama_bench statements are "
                    "read, not one that starts with '{}'",
                    token_.line, token_.text));
            }
        }
    }

private:
    void advance() { token_ = lexer_.next(); }

    [[noreturn]] void fail(std::string_view expected) const {
        if (token_.kind == Token::end)
            throw FormatError(fmt::format("line {}: the SQL ends inside a statement (truncated?); expected {}",
                                          token_.line, expected));
        throw FormatError(fmt::format("line {}: expected {}, found '{}'", token_.line, expected, token_.text));
    }
    void keyword(std::string_view word) {
        if (token_.kind != Token::word || upper(token_.text) != word) fail(word);
        advance();
    }
    void punct(std::string_view p) {
        if (token_.kind != Token::punct || token_.text != p) fail(fmt::format("'{}'", p));
        advance();
    }
    std::string identifier() {
        if (token_.kind != Token::word) fail("a column name");
        std::string name = token_.text;
        advance();
        return name;
    }
    // llama-bench's table is llama_bench; versions before it was renamed wrote `test`.
    void table_name() {
        if (token_.kind != Token::word || (token_.text != "llama_bench" && token_.text != "test"))
            fail("llama-bench's table llama_bench");
        advance();
    }

    void create_table() {
        keyword("CREATE");
        keyword("TABLE");
        if (token_.kind == Token::word && upper(token_.text) == "IF") {
            keyword("IF");
            keyword("NOT");
            keyword("EXISTS");
        }
        table_name();
        punct("(");
        for (;;) {
            identifier();
            const std::string type = token_.kind == Token::word ? upper(token_.text) : "";
            if (type != "TEXT" && type != "INTEGER" && type != "REAL") fail("a column type (TEXT, INTEGER or REAL)");
            advance();
            if (token_.kind == Token::punct && token_.text == ",") {
                advance();
                continue;
            }
            break;
        }
        punct(")");
        punct(";");
    }

    void insert() {
        const size_t line = token_.line;
        keyword("INSERT");
        keyword("INTO");
        table_name();
        punct("(");
        std::vector<std::string> columns{identifier()};
        while (token_.kind == Token::punct && token_.text == ",") {
            advance();
            columns.push_back(identifier());
        }
        punct(")");
        keyword("VALUES");
        for (;;) {
            RawTest test{nlohmann::json::object(), fmt::format("line {}", line)};
            punct("(");
            for (size_t i = 0;; ++i) {
                if (token_.kind == Token::word && upper(token_.text) == "NULL") {
                    advance();
                } else if (token_.kind == Token::string || token_.kind == Token::number) {
                    if (i < columns.size()) test.fields[columns[i]] = token_.text;
                    advance();
                } else {
                    fail("a value (a quoted string, a number or NULL)");
                }
                if (token_.kind == Token::punct && token_.text == ",") {
                    advance();
                    continue;
                }
                if (i + 1 != columns.size())
                    throw FormatError(fmt::format("line {}: {} values for {} columns", line, i + 1, columns.size()));
                break;
            }
            punct(")");
            each_(std::move(test));
            if (token_.kind == Token::punct && token_.text == ",") {
                advance();
                continue;
            }
            break;
        }
        punct(";");
    }

    SqlLexer lexer_;
    const TestSink& each_;
    Token token_;
};

// --- CSV ---------------------------------------------------------------------------------------------------

struct CsvState {
    std::vector<std::string> row;
    std::vector<std::pair<size_t, std::vector<std::string>>> rows; // rows not yet handed on: (line, fields)
    size_t line = 0;
};

extern "C" void csv_on_field(void* data, size_t length, void* state) {
    static_cast<CsvState*>(state)->row.emplace_back(static_cast<const char*>(data), length);
}

extern "C" void csv_on_row(int, void* state) {
    auto* s = static_cast<CsvState*>(state);
    s->rows.emplace_back(s->line, std::move(s->row));
    s->row.clear();
}

} // namespace

std::string_view name(Format format) {
    switch (format) {
    case Format::json: return "json";
    case Format::jsonl: return "jsonl";
    case Format::csv: return "csv";
    case Format::sql: return "sql";
    }
    return "?";
}

Format detect_format(std::string_view content) {
    content = without_bom(content);
    const size_t start = content.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) throw FormatError("the file is empty");
    const std::string_view rest = content.substr(start);
    const std::string head = upper(std::string(rest.substr(0, 12)));
    if (rest[0] == '[') return Format::json;
    if (rest[0] == '{') return Format::jsonl;
    // Any SQL statement makes it SQL, so that the parser can say which statements it refuses.
    for (const char* keyword : {"CREATE", "INSERT", "BEGIN", "PRAGMA", "ATTACH", "DROP", "DELETE", "UPDATE", "SELECT",
                                "ALTER", "REPLACE", "WITH", "VACUUM", "DETACH", "COMMIT"})
        if (head.rfind(keyword, 0) == 0) return Format::sql;
    if (rest[0] == '|')
        throw FormatError("this is llama-bench's Markdown table (-o md), which is for reading, not data; run "
                          "llama-bench with -o json, -o jsonl, -o csv or -o sql and import that");
    const std::string_view first_line = rest.substr(0, rest.find('\n'));
    if (first_line.find("build_commit") != std::string_view::npos && first_line.find(',') != std::string_view::npos)
        return Format::csv;
    throw FormatError("not llama-bench output: expected the JSON (-o json), JSON lines (-o jsonl), CSV (-o csv) "
                      "or SQL (-o sql) that llama-bench writes");
}

Format read_llama_bench_output(std::string_view content, const TestSink& each) {
    if (const size_t nul = content.find('\0'); nul != std::string_view::npos)
        throw FormatError(
            fmt::format("line {}: a NUL byte (at byte {}): not llama-bench's text output", line_of(content, nul), nul));
    if (const size_t bad = invalid_utf8_at(content); bad != std::string_view::npos)
        throw FormatError(fmt::format("line {}: bytes that are not UTF-8 (at byte {})", line_of(content, bad), bad));
    const Format format = detect_format(content);
    switch (format) {
    case Format::json: parse_json(content, each); break;
    case Format::jsonl: parse_jsonl(content, each); break;
    case Format::csv: parse_csv(content, each); break;
    case Format::sql: parse_sql(content, each); break;
    }
    return format;
}

void parse_json(std::string_view content, const TestSink& each) {
    // The array's elements are handed on as the parser finishes each, and dropped from the document, so a
    // large file is never held as a whole JSON tree.
    using Event = nlohmann::json::parse_event_t;
    bool array = false;
    size_t record = 0;
    auto element = [&](int depth, Event event, nlohmann::json& parsed) {
        if (depth == 0 && event == Event::array_start) array = true;
        if (!array || depth != 1 || (event != Event::object_end && event != Event::value && event != Event::array_end))
            return true;
        const std::string where = fmt::format("record {}", ++record);
        if (!parsed.is_object())
            throw FormatError(
                fmt::format("{}: expected an object of llama-bench fields, found {}", where, json_type(parsed)));
        each({std::move(parsed), where});
        return false;
    };
    const nlohmann::json document = parse_json_text(without_bom(content), content, 0, element,
                                                    [&] { return fmt::format("record {}", record + 1); });
    if (!document.is_array())
        throw FormatError(fmt::format("expected llama-bench's JSON array of tests, found {}", json_type(document)));
}

void parse_jsonl(std::string_view content, const TestSink& each) {
    size_t offset = 0, line = 0;
    while (offset < content.size()) {
        const size_t end = std::min(content.find('\n', offset), content.size());
        std::string_view text = content.substr(offset, end - offset);
        ++line;
        if (line == 1) text = without_bom(text);
        if (text.find_first_not_of(" \t\r") != std::string_view::npos) {
            nlohmann::json test = parse_json_text(text, content, offset);
            if (!test.is_object())
                throw FormatError(
                    fmt::format("line {}: expected an object of llama-bench fields, found {}", line, json_type(test)));
            each({std::move(test), fmt::format("line {}", line)});
        }
        offset = end + 1;
    }
}

void parse_csv(std::string_view content, const TestSink& each) {
    csv_parser parser{};
    if (csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI) != 0) throw Error("out of memory");
    const std::unique_ptr<csv_parser, void (*)(csv_parser*)> guard(&parser, csv_free);
    CsvState state;
    std::vector<std::string> header;
    // Rows are handed on between calls into libcsv, never from its callbacks: nothing throws through C.
    auto hand_on = [&] {
        for (auto& [line, values] : state.rows) {
            if (header.empty()) {
                header = std::move(values);
                for (size_t i = 0; i < header.size(); ++i)
                    if (std::find(header.begin() + static_cast<ptrdiff_t>(i) + 1, header.end(), header[i]) !=
                        header.end())
                        throw FormatError(fmt::format("line {}: the column '{}' appears twice", line, header[i]));
                continue;
            }
            if (values.size() != header.size())
                throw FormatError(fmt::format("line {}: {} values, but the header has {} columns{}", line,
                                              values.size(), header.size(),
                                              values.size() < header.size() ? " (truncated?)" : ""));
            RawTest test{nlohmann::json::object(), fmt::format("line {}", line)};
            for (size_t i = 0; i < header.size(); ++i) test.fields[header[i]] = std::move(values[i]);
            each(std::move(test));
        }
        state.rows.clear();
    };
    content = without_bom(content);
    // One line at a time, so that a row knows the line it ends on.
    for (size_t offset = 0; offset < content.size();) {
        const size_t end = std::min(content.find('\n', offset), content.size() - 1) + 1;
        ++state.line;
        const std::string_view line = content.substr(offset, end - offset);
        if (csv_parse(&parser, line.data(), line.size(), csv_on_field, csv_on_row, &state) != line.size())
            throw FormatError(fmt::format("line {}: not valid CSV ({})", state.line, csv_strerror(csv_error(&parser))));
        hand_on();
        offset = end;
    }
    if (csv_fini(&parser, csv_on_field, csv_on_row, &state) != 0)
        throw FormatError(fmt::format("line {}: the CSV ends inside a quoted value (truncated?)", state.line));
    hand_on();
    if (header.empty()) throw FormatError("the CSV has no header");
}

void parse_sql(std::string_view content, const TestSink& each) { SqlParser(without_bom(content), each).parse(); }

} // namespace llmsweep::llama_bench
