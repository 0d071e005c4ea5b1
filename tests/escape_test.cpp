// Every escaping function over every hostile string, each checked by the real reader of its format: gnuplot
// runs the literal, GitHub's Markdown renderer (cmark-gfm) renders the Markdown, an RFC 4180 reader reads the
// CSV field back.

#include "chart/figure.hpp"
#include "core/escape.hpp"
#include "store/sqlite.hpp"
#include "hostile.hpp"
#include "test_support.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

namespace llmsweep {
namespace {

using test::hostile_strings;
using test::read_file;
using test::run_shell;
using test::shell_quote;
using test::shown_as_text;
using test::TempDir;

bool is_valid_utf8(const std::string& text) { return escape::valid_utf8(text) == text; }

std::string trimmed(const std::string& text) {
    const auto first = text.find_first_not_of(' ');
    if (first == std::string::npos) return "";
    return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

TEST(EscapeGnuplot, EveryHostileStringReadsBackAndNothingRuns) {
    TempDir dir;
    std::string script = "set print \"printed.txt\"\n";
    for (const auto& h : hostile_strings()) script += "print " + escape::gnuplot(h.text) + "\n";
    // The same literals as a plot's labels, in both terminals the charts use.
    script += "set terminal svg noenhanced\nset output \"t.svg\"\n";
    for (const auto& h : hostile_strings()) script += "set title " + escape::gnuplot(h.text) + "\n";
    script += "plot x title " + escape::gnuplot(hostile_strings().front().text) + "\n";
    std::ofstream(dir / "t.gp") << script;
    const auto r = run_shell("cd " + shell_quote(dir.path()) + " && gnuplot t.gp 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_FALSE(std::filesystem::exists(dir / "pwned")) << "a hostile string ran a command";
    std::ifstream printed(dir / "printed.txt");
    for (const auto& h : hostile_strings()) {
        std::string line;
        ASSERT_TRUE(std::getline(printed, line)) << h.name;
        EXPECT_EQ(line, shown_as_text(h.text)) << h.name;
    }
    std::string extra;
    EXPECT_FALSE(std::getline(printed, extra)) << "one line per string: " << extra;
}

// Tic labels are format strings to gnuplot: every hostile string as one draws ("100% %s %n" used to stop the
// plot with "Bad format character"), and shows as itself.
TEST(EscapeGnuplot, EveryHostileStringIsATicLabelThatShowsAsItself) {
    TempDir dir;
    std::string script = "set terminal svg noenhanced\nset output \"t.svg\"\nset xtics (";
    for (size_t i = 0; i < hostile_strings().size(); ++i)
        script += fmt::format("{}{} {}", i ? ", " : "", escape::gnuplot_tic_label(hostile_strings()[i].text), i);
    script += ")\nplot [0:" + std::to_string(hostile_strings().size()) + "] x notitle\n";
    std::ofstream(dir / "t.gp") << script;
    const auto r = run_shell("cd " + shell_quote(dir.path()) + " && gnuplot t.gp 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    EXPECT_FALSE(std::filesystem::exists(dir / "pwned")) << "a hostile string ran a command";
    EXPECT_NE(read_file(dir / "t.svg").find("100% %s %n"), std::string::npos) << "the percent signs show";
}

TEST(EscapeGnuplot, LiteralsHoldOnlyPlainBytesAndOctalEscapes) {
    for (const auto& h : hostile_strings()) {
        const std::string literal = escape::gnuplot(h.text);
        ASSERT_GE(literal.size(), 2u);
        EXPECT_EQ(literal.front(), '"');
        EXPECT_EQ(literal.back(), '"');
        for (size_t i = 1; i + 1 < literal.size(); ++i) {
            const auto c = static_cast<unsigned char>(literal[i]);
            EXPECT_TRUE(c >= 0x20 && c < 0x7F && c != '`' && c != '@' && c != '$' && c != '"' && c != '\'') << h.name;
            if (c == '\\') {
                ASSERT_LT(i + 3, literal.size()) << h.name;
                for (int k = 1; k <= 3; ++k) EXPECT_TRUE(literal[i + k] >= '0' && literal[i + k] <= '7') << h.name;
                i += 3;
            }
        }
    }
}

TEST(EscapeMarkdown, GithubsRendererShowsEveryHostileStringAsPlainText) {
    if (run_shell("command -v cmark-gfm").exit_code != 0)
        GTEST_SKIP() << "cmark-gfm is not installed (scripts/test.sh installs it)";
    TempDir dir;
    for (const auto& h : hostile_strings()) {
        SCOPED_TRACE(h.name);
        const std::string text = escape::markdown(h.text);
        // As a paragraph, a list item and a table cell; rendered with raw HTML allowed and every extension on.
        std::ofstream(dir / "t.md") << text << "\n\n- " << text << "\n\n| h |\n|---|\n| "
                                    << escape::markdown_cell(h.text) << " |\n";
        const auto r = run_shell("cmark-gfm --unsafe -e table -e autolink -e strikethrough -e tagfilter " +
                                 shell_quote(dir / "t.md"));
        ASSERT_EQ(r.exit_code, 0);
        const std::string expected = trimmed(shown_as_text(h.text));
        for (const auto& [open, close] :
             std::vector<std::pair<std::string, std::string>>{{"<p>", "</p>"}, {"<li>", "</li>"}, {"<td>", "</td>"}}) {
            const auto start = r.out.find(open);
            if (expected.empty() && open == "<p>") continue; // an empty paragraph is no paragraph
            ASSERT_NE(start, std::string::npos) << open << " in " << r.out;
            const auto end = r.out.find(close, start);
            const std::string inner = r.out.substr(start + open.size(), end - start - open.size());
            EXPECT_EQ(inner.find('<'), std::string::npos) << "markup from the data: " << inner;
            EXPECT_EQ(trimmed(test::unescape_html(inner)), expected) << r.out;
        }
    }
}

TEST(EscapeMarkdown, NumbersAndNamesStayReadable) {
    EXPECT_EQ(escape::markdown_cell("100.00"), "100.00");
    EXPECT_EQ(escape::markdown_cell("+0.50"), "+0.50");
    EXPECT_EQ(escape::markdown_cell("-"), "-");
    EXPECT_EQ(escape::markdown("qwen2.5-0.5b-q8_0.gguf"), "qwen2.5-0.5b-q8_0.gguf");
    EXPECT_EQ(escape::markdown("load_mode comparison report"), "load_mode comparison report");
    EXPECT_EQ(escape::markdown("-dash.gguf"), "-dash.gguf") << "not a list item: no space after the dash";
    EXPECT_EQ(escape::markdown("- item"), "\\- item");
    EXPECT_EQ(escape::markdown("1. first"), "1\\. first");
    EXPECT_EQ(escape::markdown("_x_"), "\\_x\\_");
}

TEST(EscapeHtml, NoMarkupSurvivesAndTheTextReadsBack) {
    for (const auto& h : hostile_strings()) {
        const std::string out = escape::html(h.text);
        EXPECT_EQ(out.find_first_of("<>\"'"), std::string::npos) << h.name;
        EXPECT_TRUE(is_valid_utf8(out)) << h.name;
        EXPECT_EQ(test::unescape_html(out), shown_as_text(h.text)) << h.name;
    }
}

// One RFC 4180 field back to its text.
std::string read_csv_field(const std::string& field) {
    if (field.empty() || field.front() != '"') return field;
    std::string out;
    for (size_t i = 1; i + 1 < field.size(); ++i) {
        out += field[i];
        if (field[i] == '"') ++i; // "" is one quote
    }
    return out;
}

// A shell word: bash reads every hostile string back byte for byte (NUL, which no argument can hold, left out),
// and runs none of it.
TEST(EscapeShell, BashReadsEveryHostileStringBackAndRunsNothing) {
    TempDir dir;
    for (const auto& [name, text] : hostile_strings()) {
        std::string expected = text;
        std::erase(expected, '\0');
        std::ofstream(dir / "script.sh") << "cd " << shell_quote(dir.path()) << " && printf %s " << escape::shell(text)
                                         << " > out\n";
        const auto r = run_shell("bash " + shell_quote(dir / "script.sh"));
        ASSERT_EQ(r.exit_code, 0) << name << ": " << r.err;
        EXPECT_EQ(read_file(dir / "out"), expected) << name;
    }
    EXPECT_EQ(test::entries_in(dir.path()), 2u) << "the script and its output: nothing else was made";
    EXPECT_EQ(escape::shell("it's $(touch x)"), "'it'\\''s $(touch x)'");
}

// SQLite reads every literal back byte for byte, control characters and bytes that are not UTF-8 included, and
// no literal leaves a raw control character in the SQL text (a terminal showing it obeys none) or ends early.
TEST(EscapeSql, SqliteReadsEveryHostileStringBackAndRunsNothing) {
    TempDir dir;
    store::Database db((dir / "t.db").string(), store::Database::Mode::create);
    db.exec("CREATE TABLE t (v TEXT)");
    for (const auto& [name, text] : hostile_strings()) {
        const std::string literal = escape::sql(text);
        for (const char c : literal) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20) << name;
        db.exec("DELETE FROM t; INSERT INTO t VALUES (" + literal + ");");
        store::Statement s(db, "SELECT v, (SELECT count(*) FROM t) FROM t");
        ASSERT_TRUE(s.step()) << name;
        EXPECT_EQ(s.column_text(0), text) << name;
        EXPECT_EQ(s.column_int(1), 1) << name << ": one row, nothing else ran";
    }
    EXPECT_EQ(escape::sql("it's"), "'it''s'");
}

TEST(EscapeCsv, FormulasAreNeutralisedNumbersStayAndTextReadsBack) {
    for (const auto& h : hostile_strings()) {
        const std::string field = escape::csv(h.text);
        EXPECT_EQ(field.find_first_of("\r\n"), std::string::npos) << h.name;
        const std::string text = read_csv_field(field);
        const std::string valid = shown_as_text(h.text);
        const auto first = valid.find_first_not_of(' ');
        if (first != std::string::npos && std::string("=+-@").find(valid[first]) != std::string::npos) {
            EXPECT_EQ(text, "'" + valid) << h.name;
        } else {
            EXPECT_EQ(text, valid) << h.name;
        }
    }
    for (const std::string number : {"-1", "-2.5e-3", "+3", "42", "-0.5"}) EXPECT_EQ(escape::csv(number), number);
    EXPECT_EQ(escape::csv("a,\"b\""), "\"a,\"\"b\"\"\"");
}

TEST(EscapeTerminal, NoControlOrReorderingCharacterReachesTheTerminal) {
    for (const auto& h : hostile_strings()) {
        const std::string out = escape::terminal(h.text);
        SCOPED_TRACE(h.name);
        EXPECT_TRUE(is_valid_utf8(out));
        for (const char c : out) EXPECT_FALSE(static_cast<unsigned char>(c) < 0x20 || c == 0x7F);
        EXPECT_EQ(out.find("\xc2\x9b"), std::string::npos);
        EXPECT_EQ(out.find("\xe2\x80\xae"), std::string::npos);
    }
    EXPECT_EQ(escape::terminal("a\nb\x1b[0m\xff\\"), "a\\nb\\x1b[0m\\xff\\\\");
    EXPECT_EQ(escape::terminal("x\xe2\x80\xaey"), "x\\u{202e}y");
    EXPECT_EQ(escape::terminal("中文"), "中文");
}

TEST(SafeStem, EveryHostileStringGetsADistinctPlainFileName) {
    std::set<std::string> stems;
    for (const auto& h : hostile_strings()) {
        const std::string stem = chart::safe_stem(h.text);
        SCOPED_TRACE(h.name);
        EXPECT_FALSE(stem.empty());
        EXPECT_LE(stem.size(), 80u);
        EXPECT_NE(stem.front(), '-');
        EXPECT_NE(stem.front(), '.');
        EXPECT_EQ(stem.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-."),
                  std::string::npos);
        EXPECT_EQ(chart::safe_stem(stem), stem) << "a stem is its own stem";
        EXPECT_TRUE(stems.insert(stem).second) << "two names share " << stem;
    }
    EXPECT_EQ(chart::safe_stem("pp_load_mode_aggregate"), "pp_load_mode_aggregate");
    EXPECT_NE(chart::safe_stem("a b"), chart::safe_stem("a_b"));
}

} // namespace
} // namespace llmsweep
