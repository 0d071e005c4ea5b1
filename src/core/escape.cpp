#include "core/escape.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <optional>

namespace llmsweep::escape {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD"; // U+FFFD

struct CodePoint {
    char32_t value;
    size_t length; // bytes
};

// The well-formed UTF-8 sequence at `at` (Unicode table 3-7: no overlong forms, no surrogates, at most
// U+10FFFF), or nothing.
std::optional<CodePoint> decode(std::string_view text, size_t at) {
    const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    if (lead < 0x80) return CodePoint{lead, 1};
    size_t length = 0;
    char32_t value = 0;
    unsigned char low = 0x80, high = 0xBF; // range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) length = 2, value = lead & 0x1F;
    else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3, value = lead & 0x0F;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4, value = lead & 0x07;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else return std::nullopt;
    if (at + length > text.size()) return std::nullopt;
    for (size_t i = 1; i < length; ++i) {
        const unsigned char b = byte(at + i);
        if (b < (i == 1 ? low : 0x80) || b > (i == 1 ? high : 0xBF)) return std::nullopt;
        value = (value << 6) | (b & 0x3F);
    }
    return CodePoint{value, length};
}

// Calls f(code point, its bytes) for each well-formed sequence and f(nullopt, the byte) for each invalid byte.
template <typename F>
void for_each_code_point(std::string_view text, F f) {
    for (size_t i = 0; i < text.size();) {
        if (const auto cp = decode(text, i)) {
            f(std::optional<char32_t>(cp->value), text.substr(i, cp->length));
            i += cp->length;
        } else {
            f(std::optional<char32_t>(), text.substr(i, 1));
            ++i;
        }
    }
}

bool is_control(char32_t c) { return c < 0x20 || c == 0x7F; }

// Characters that change the direction of the text around them (the "Trojan Source" set) or are invisible
// marks of direction.
bool reorders(char32_t c) {
    return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F || c == 0x061C;
}

// `text` as valid UTF-8 with every control character a space, and every mark that reorders the text around it
// shown as what it is ([U+202E]): a reader sees the bytes in the order they are (no "Trojan Source").
std::string printable(std::string_view text) {
    // Most text is printable ASCII, which stays as it is.
    if (std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; })) return std::string(text);
    std::string out;
    out.reserve(text.size());
    for_each_code_point(text, [&](std::optional<char32_t> c, std::string_view bytes) {
        if (!c) out += replacement;
        else if (is_control(*c) || (*c >= 0x80 && *c <= 0x9F)) out += ' ';
        else if (reorders(*c)) out += fmt::format("[U+{:04X}]", static_cast<uint32_t>(*c));
        else out += bytes;
    });
    return out;
}

bool is_number(std::string_view text) {
    if (text.empty()) return false;
    double value = 0;
    if (text.front() == '+') text.remove_prefix(1); // from_chars takes no '+', a spreadsheet does
    if (text.empty()) return false;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc() && end == text.data() + text.size() && std::isfinite(value);
}

} // namespace

std::string valid_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for_each_code_point(text,
                        [&](std::optional<char32_t> c, std::string_view bytes) { out += c ? bytes : replacement; });
    return out;
}

std::string gnuplot(std::string_view text) {
    constexpr std::string_view plain = "_.,:;=+-/%()[]{}<>#~!?^*&| ";
    std::string out = "\"";
    for (const char c : printable(text)) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x80 && std::isalnum(byte)) || plain.find(c) != std::string_view::npos) out += c;
        else out += fmt::format("\\{:03o}", byte);
    }
    return out + "\"";
}

std::string gnuplot_tic_label(std::string_view text) {
    std::string doubled;
    for (const char c : text) doubled += c == '%' ? std::string("%%") : std::string(1, c);
    return gnuplot(doubled);
}

namespace {

// `text` as inline Markdown; `line_start`: the text may begin a line of a paragraph or list item, where a
// block marker (`# `, `> `, `- `, `1. `, a setext underline) would make it a heading, quote or list.
std::string markdown_inline(std::string_view text, bool line_start) {
    // An underscore between two letters or digits (load_mode) cannot start or end emphasis, and stays as it is
    // so that the Markdown reads well.
    constexpr std::string_view inline_markup = "\\`*[]|~$";
    std::string clean = printable(text);
    // Where a line starts, leading spaces would indent (four make a code block) and are not shown anyway.
    if (line_start) clean.erase(0, std::min(clean.size(), clean.find_first_not_of(' ')));
    const auto alnum_at = [&](size_t i) {
        return i < clean.size() && std::isalnum(static_cast<unsigned char>(clean[i])) != 0;
    };
    const auto blank_at = [&](size_t i) { return i >= clean.size() || clean[i] == ' '; };
    size_t marker = std::string::npos; // the byte whose escape breaks a block marker at the start
    if (line_start && !clean.empty()) {
        const size_t digits = clean.find_first_not_of("0123456789");
        if (clean[0] == '>' || ((clean[0] == '#' || clean[0] == '-' || clean[0] == '+') && blank_at(1))) marker = 0;
        else if (digits > 0 && digits != std::string::npos && (clean[digits] == '.' || clean[digits] == ')') &&
                 blank_at(digits + 1))
            marker = digits;
        else if ((clean[0] == '=' || clean[0] == '-') &&
                 clean.find_first_not_of(clean[0] == '=' ? "= " : "- ") == std::string::npos)
            marker = 0; // a line of = or - under a paragraph line is a heading
        if (clean[0] == '#' && clean.find_first_not_of('#') != std::string::npos &&
            blank_at(clean.find_first_not_of('#')))
            marker = 0; // ## heading
    }
    std::string out;
    for (size_t i = 0; i < clean.size(); ++i) {
        const char c = clean[i];
        if (c == '<') out += "&lt;";
        else if (c == '&') out += "&amp;";
        else {
            // GitHub's renderer links bare URLs: `http://` and `www.` are broken up.
            const bool www_before =
                i >= 3 && (clean.compare(i - 3, 3, "www") == 0 || clean.compare(i - 3, 3, "WWW") == 0);
            const bool escaped = i == marker || inline_markup.find(c) != std::string_view::npos ||
                                 (c == '_' && !(i > 0 && alnum_at(i - 1) && alnum_at(i + 1))) ||
                                 (c == ':' && clean.compare(i + 1, 2, "//") == 0) || (c == '.' && www_before);
            if (escaped) out += '\\';
            out += c;
        }
    }
    return out;
}

} // namespace

std::string markdown(std::string_view text) { return markdown_inline(text, true); }

std::string markdown_cell(std::string_view text) { return markdown_inline(text, false); }

std::string html(std::string_view text) {
    std::string out;
    for (const char c : printable(text)) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return out;
}

std::string csv(std::string_view text) {
    std::string field = printable(text); // a tab or carriage return is a space now
    const auto first = field.find_first_not_of(' ');
    if (first != std::string::npos && std::string_view("=+-@").find(field[first]) != std::string_view::npos &&
        !is_number(field))
        field.insert(0, 1, '\'');
    if (field.find_first_of(",\"\r\n") == std::string::npos) return field;
    std::string quoted = "\"";
    for (const char c : field) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::string sql(std::string_view text) {
    std::string literal = "'";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\'') literal += "''";
        else if (byte < 0x20 || byte == 0x7f) literal += fmt::format("' || char({}) || '", byte);
        else literal += c;
    }
    return literal + "'";
}

std::string terminal(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for_each_code_point(text, [&](std::optional<char32_t> c, std::string_view bytes) {
        if (!c) out += fmt::format("\\x{:02x}", static_cast<unsigned char>(bytes.front()));
        else if (*c == '\\') out += "\\\\";
        else if (*c == '\n') out += "\\n";
        else if (*c == '\r') out += "\\r";
        else if (*c == '\t') out += "\\t";
        else if (is_control(*c)) out += fmt::format("\\x{:02x}", static_cast<unsigned>(*c));
        else if ((*c >= 0x80 && *c <= 0x9F) || reorders(*c))
            out += fmt::format("\\u{{{:04x}}}", static_cast<unsigned>(*c));
        else out += bytes;
    });
    return out;
}

std::string shell(std::string_view text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\0') continue;
        if (c == '\'') out += "'\\''";
        else out += c;
    }
    return out + "'";
}

} // namespace llmsweep::escape
