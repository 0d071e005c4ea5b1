#include "report/writers.hpp"

#include "core/escape.hpp"
#include "report/tables.hpp"

#include <fmt/format.h>

namespace llmsweep::report {
namespace {

// gnuplot's SVG starts with an XML declaration and a DOCTYPE, which have no place inside HTML.
std::string inline_svg(const std::string& svg) {
    const auto start = svg.find("<svg");
    return start == std::string::npos ? std::string() : svg.substr(start);
}

constexpr const char* style = R"(
body { font-family: system-ui, "WenQuanYi Micro Hei", sans-serif; margin: 0 auto; padding: 1rem; max-width: 80rem;
       line-height: 1.5; color: #1b1b1b; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
.table { overflow-x: auto; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: left; white-space: nowrap; }
td:last-child { white-space: normal; min-width: 12rem; }
th { background: #f3f3f3; }
figure { margin: 1rem 0; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 0.9rem; color: #555; }
)";

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
    for (const Block& b : document) {
        switch (b.kind) {
        case Block::Kind::heading: html += fmt::format("<h{0}>{1}</h{0}>\n", b.level, escape::html(b.text)); break;
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
            html += "<figure>\n" + inline_svg(svg_of(b.stem)) + "\n<figcaption>" + escape::html(b.text);
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
    return html + "</body>\n</html>\n";
}

} // namespace llmsweep::report
