#include "report/writers.hpp"

#include "core/escape.hpp"
#include "report/tables.hpp"

#include <fmt/format.h>

#include <utility>

namespace llmsweep::report {
namespace {

// gnuplot's SVG starts with an XML declaration and a DOCTYPE, which have no place inside HTML.
std::string inline_svg(const std::string& svg) {
    const auto start = svg.find("<svg");
    return start == std::string::npos ? std::string() : svg.substr(start);
}

// One column of text up to a comfortable width; tables scroll inside their own box (the page never does), their
// first column staying in view; charts side by side where they fit, one under another on a phone, their text
// never below 11 px; a dark scheme where the reader asks for one (the charts keep their white ground).
constexpr const char* style = R"(
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #ffffff; --muted: #555; --line: #ccc; --head: #f3f3f3; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6e6e6; --bg: #161616; --muted: #aaa; --line: #444; --head: #262626; }
}
html { background: var(--bg); color: var(--fg); }
body { font-family: system-ui, "WenQuanYi Micro Hei", sans-serif; margin: 0 auto; padding: 1rem; max-width: 110rem;
       line-height: 1.5; overflow-wrap: anywhere; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid var(--line); }
a { color: inherit; }
nav ul { columns: 14rem; margin: 0; }
.table { overflow-x: auto; max-width: 100%; margin: 0.5rem 0 1rem; }
table { border-collapse: separate; border-spacing: 0; font-size: 0.9rem; }
th, td { border: 1px solid var(--line); border-width: 0 1px 1px 0; padding: 0.25rem 0.5rem; text-align: left;
         white-space: nowrap; background: var(--bg); overflow-wrap: normal; }
tr > :first-child { position: sticky; left: 0; border-left-width: 1px; }
thead th { border-top-width: 1px; }
td:last-child { white-space: normal; min-width: 12rem; }
th { background: var(--head); }
.figures { display: flex; flex-wrap: wrap; gap: 1.5rem; margin: 1rem 0; }
figure { margin: 0; flex: 1 1 30rem; max-width: 42rem; min-width: 0; }
figure svg { width: 100%; height: auto; background: #fff; border-radius: 4px; }
figcaption { font-size: 0.9rem; color: var(--muted); }
@media (max-width: 40rem) { body { padding: 0.75rem; } }
)";

// An id for a heading's anchor: its position, so that any text (from data) makes a valid one.
std::string anchor(size_t index) { return fmt::format("s{}", index); }

} // namespace

std::string render_html(const Document& document, std::string_view language,
                        const std::function<std::string(const std::string&)>& svg_of) {
    std::string title;
    for (const Block& b : document)
        if (b.kind == Block::Kind::heading && b.level == 1) title = b.text;
    std::string html = fmt::format("<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n"
                                   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                                   "<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n",
                                   language == "zh" ? "zh-CN" : "en", escape::html(title), style);
    // A table of contents of the sections, before the first of them.
    std::string contents = "<nav><ul>\n";
    for (size_t i = 0; i < document.size(); ++i)
        if (document[i].kind == Block::Kind::heading && document[i].level == 2)
            contents += fmt::format("<li><a href=\"#{}\">{}</a></li>\n", anchor(i), escape::html(document[i].text));
    contents += "</ul></nav>\n";
    bool in_figures = false;
    for (size_t i = 0; i < document.size(); ++i) {
        const Block& b = document[i];
        if (b.kind == Block::Kind::heading && b.level == 2 && !contents.empty()) html += std::exchange(contents, "");
        // Consecutive figures share one box that lays them out side by side.
        if (b.kind == Block::Kind::figure && !in_figures) html += "<div class=\"figures\">\n";
        if (b.kind != Block::Kind::figure && in_figures) html += "</div>\n";
        in_figures = b.kind == Block::Kind::figure;
        switch (b.kind) {
        case Block::Kind::heading:
            html += b.level == 1
                        ? fmt::format("<h1>{}</h1>\n", escape::html(b.text))
                        : fmt::format("<h{0} id=\"{2}\">{1}</h{0}>\n", b.level, escape::html(b.text), anchor(i));
            break;
        case Block::Kind::paragraph: html += fmt::format("<p>{}</p>\n", escape::html(b.text)); break;
        case Block::Kind::list:
            html += "<ul>\n";
            for (const auto& item : b.items) {
                html += "<li>" + escape::html(item.text);
                if (!item.children.empty()) {
                    html += "<ul>";
                    for (const auto& child : item.children) html += "<li>" + escape::html(child) + "</li>";
                    html += "</ul>";
                }
                html += "</li>\n";
            }
            html += "</ul>\n";
            break;
        case Block::Kind::table: {
            html += "<div class=\"table\"><table>\n<thead><tr>";
            for (const auto& cell : b.table->header()) html += "<th>" + escape::html(cell) + "</th>";
            html += "</tr></thead>\n<tbody>\n";
            for (const auto& row : b.table->rows()) {
                html += "<tr>";
                for (const auto& cell : row) html += "<td>" + escape::html(cell) + "</td>";
                html += "</tr>\n";
            }
            html += "</tbody></table></div>\n";
            break;
        }
        case Block::Kind::figure: {
            html += "<figure>\n" + inline_svg(svg_of(b.stem)) + "\n<figcaption>" + escape::html(b.caption);
            for (const auto& [href, text] : b.links)
                html += fmt::format(" · <a href=\"{}\">{}</a>", escape::html(href), escape::html(text));
            html += "</figcaption>\n</figure>\n";
            break;
        }
        case Block::Kind::links:
            html += "<ul>\n";
            for (const auto& [href, text] : b.links)
                html += fmt::format("<li><a href=\"{}\">{}</a></li>\n", escape::html(href), escape::html(text));
            html += "</ul>\n";
            break;
        }
    }
    if (in_figures) html += "</div>\n";
    return html + "</body>\n</html>\n";
}

} // namespace llmsweep::report
