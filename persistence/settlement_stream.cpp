#include "persistence/settlement_stream.hpp"

#include <stdexcept>

#include "persistence/journal_stream.hpp"
#include "persistence/redis_connection.hpp"

namespace settle::persistence {

std::string append_settlement(redis_connection& c, const std::string& key,
                              std::string_view bytes) {
  auto r = c.run({"XADD", key, "*", "b", bytes});
  if (r->type != REDIS_REPLY_STRING || r->len == 0)
    throw std::runtime_error("settlement stream " + key + ": XADD answered without an id");
  return std::string{reply_text(r.get())};
}

std::vector<std::string> read_settlement_stream(redis_connection& c, const std::string& key) {
  std::vector<std::string> out;
  std::string from = "-";
  for (;;) {
    // parse_stream_entries keeps field "b" of each entry, "" when it has none.
    auto page = read_stream_page(c, key, from, settlement_page_entries);
    for (size_t i = 0; i < page.batches.size(); ++i) {
      if (page.batches[i].empty())
        throw std::runtime_error("settlement stream " + key + ": entry " + page.ids[i] +
                                 " (number " + std::to_string(out.size() + 1) +
                                 ") has no record (no field \"b\")");
      out.push_back(std::move(page.batches[i]));
    }
    if (page.ids.size() < settlement_page_entries)
      return out;
    from = "(" + page.ids.back();  // exclusive: the entries after the page's last
  }
}

void put_value(redis_connection& c, const std::string& key, std::string_view value) {
  c.run({"SET", key, value});
}

std::optional<std::string> get_value(redis_connection& c, const std::string& key) {
  auto r = c.run({"GET", key});
  if (r->type == REDIS_REPLY_NIL)
    return std::nullopt;
  if (r->type != REDIS_REPLY_STRING)
    throw std::runtime_error("GET " + key + " answered neither a value nor nil");
  return std::string{reply_text(r.get())};
}

}  // namespace settle::persistence
