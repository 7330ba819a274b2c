#include "http/static_files.hpp"

#include <fstream>
#include <sstream>
#include <string_view>

namespace settle::http {

namespace {

struct page_file {
  std::string_view path, file, content_type;
};

constexpr page_file page_files[] = {
    {"/", "index.html", "text/html; charset=utf-8"},
    {"/app.js", "app.js", "text/javascript; charset=utf-8"},
    {"/style.css", "style.css", "text/css; charset=utf-8"},
    {"/vendor/uplot.js", "node_modules/uplot/dist/uPlot.iife.min.js",
     "text/javascript; charset=utf-8"},
    {"/vendor/uplot.css", "node_modules/uplot/dist/uPlot.min.css", "text/css; charset=utf-8"},
};

}  // namespace

std::optional<reply> static_file(const std::string& web_dir, const std::string& path) {
  for (const auto& f : page_files) {
    if (f.path != path)
      continue;
    std::ifstream in{web_dir + "/" + std::string{f.file}, std::ios::binary};
    if (!in)
      return reply{503, "text/plain; charset=utf-8",
                   "the dashboard's file " + std::string{f.file} + " is missing from " + web_dir +
                       " (run `npm ci` in web/, as ./scripts/run-demo.sh does)\n"};
    std::ostringstream body;
    body << in.rdbuf();
    return reply{200, std::string{f.content_type}, body.str()};
  }
  return std::nullopt;
}

}  // namespace settle::http
