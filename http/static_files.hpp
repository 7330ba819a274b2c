// The dashboard's files (web/), served by the HTTP listener: a fixed table of paths, never a
// path taken from the request, so nothing outside it can be asked for. The charting library
// is the one `npm ci` vendored into web/node_modules from the checked-in lockfile.
#pragma once

#include <optional>
#include <string>

#include "http/listener.hpp"

namespace settle::http {

/// The file behind `path` in `web_dir` as a reply, or nullopt when `path` is not one of the
/// page's. A listed file that is missing answers 503 saying what to run.
std::optional<reply> static_file(const std::string& web_dir, const std::string& path);

}  // namespace settle::http
