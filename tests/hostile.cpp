#include "hostile.hpp"

#include "core/escape.hpp"

#include <algorithm>

namespace llmsweep::test {

const std::vector<Hostile>& hostile_strings() {
    using namespace std::string_literals;
    static const std::vector<Hostile> all = {
        {"backquote command", "/m/llama`touch pwned`.gguf"},
        {"backquote in a name", "p`id>pwned`q.gguf"},
        {"newline then a command", "X\nsystem('touch pwned') #"},
        {"carriage return", "cr\rsystem(\"touch pwned\")"},
        {"quotes and backslashes", "a\"b\\c\\\"; system(\"touch pwned\"); \""},
        {"single quotes", "it's 'quoted' '; system('touch pwned'); '"},
        {"shell substitution", "$(touch pwned) ${HOME}"},
        {"gnuplot macro", "@GPVAL_TERM @x"},
        {"leading dash", "-dash.gguf"},
        {"dots", "../../etc/passwd"},
        {"long", std::string(240, 'L') + ".gguf"},
        {"NUL", "nul\0byte`touch pwned`"s},
        {"invalid UTF-8", "\xff\xfe bad \xc3 utf8 \xed\xa0\x80 surrogate"},
        {"HTML", "<img src=x onerror=alert(1)><script>alert(2)</script>"},
        {"Markdown", "*_[x](http://e.vil)_* ![i](y) `code` ~~s~~ $x$"},
        {"bare links", "see http://e.vil and www.e.vil"},
        {"block markers", "# heading"},
        {"list marker", "- item"},
        {"ordered list", "1. first"},
        {"quote", "> quoted"},
        {"subheading", "## sub"},
        {"plus item", "+ item"},
        {"paren list", "2) second"},
        {"setext", "==="},
        {"rule", "---"},
        {"indented marker", "   # indented"},
        {"code block", "      indented code"},
        {"table pipes", "a|b||c"},
        {"CSV formula", "=HYPERLINK(\"e.vil\",\"x\")"},
        {"CSV plus", "+1-2"},
        {"CSV at", "@SUM(A1:A9)"},
        {"CSV minus", "-2+cmd|' -C calc'!A0"},
        {"CSV tab", "\t=1+1"},
        {"comma", "a,b.gguf"},
        {"ANSI", "\x1b[31mred\x1b[0m\x1b]0;title\x07"},
        {"C1 control", "c1\xc2\x9b"
                       "31m"},
        {"bidi override", "safe\xe2\x80\xae"
                          "fdp.exe"},
        {"bidi isolate", "a\xe2\x81\xa6"
                         "b\xe2\x81\xa9"
                         "c"},
        {"Chinese", "中文模型.gguf"},
        {"emoji", "model 🦙.gguf"},
        {"only spaces", "   "},
        {"percent", "100% %s %n"},
    };
    return all;
}

std::string shown_as_text(const std::string& text) {
    std::string out;
    const std::string valid = escape::valid_utf8(text);
    // The marks that reorder text, as their UTF-8 bytes: each is shown by name.
    const std::vector<std::pair<std::string, std::string>> reordering = {
        {"\u202A", "[U+202A]"}, {"\u202B", "[U+202B]"}, {"\u202C", "[U+202C]"}, {"\u202D", "[U+202D]"},
        {"\u202E", "[U+202E]"}, {"\u2066", "[U+2066]"}, {"\u2067", "[U+2067]"}, {"\u2068", "[U+2068]"},
        {"\u2069", "[U+2069]"}, {"\u200E", "[U+200E]"}, {"\u200F", "[U+200F]"}, {"\u061C", "[U+061C]"}};
    for (size_t i = 0; i < valid.size(); ++i) {
        const auto c = static_cast<unsigned char>(valid[i]);
        const auto mark = std::find_if(reordering.begin(), reordering.end(),
                                       [&](const auto& m) { return valid.compare(i, m.first.size(), m.first) == 0; });
        if (mark != reordering.end()) {
            out += mark->second;
            i += mark->first.size() - 1;
        } else if (c < 0x20 || c == 0x7F) out += ' ';
        else if (c == 0xC2 && i + 1 < valid.size() && static_cast<unsigned char>(valid[i + 1]) <= 0x9F) {
            out += ' '; // U+0080..U+009F
            ++i;
        } else out += valid[i];
    }
    return out;
}

std::string unescape_html(std::string text) {
    for (const auto& [entity, c] : std::vector<std::pair<std::string, std::string>>{
             {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}, {"&amp;", "&"}}) {
        for (size_t at = 0; (at = text.find(entity, at)) != std::string::npos; at += c.size())
            text.replace(at, entity.size(), c);
    }
    return text;
}

} // namespace llmsweep::test
