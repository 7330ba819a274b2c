#include "persistence/journal_stream.hpp"

#include <stdexcept>

#include "persistence/redis_connection.hpp"

namespace settle::persistence {

namespace {

constexpr size_t cut_page = 64;  // entries deleted per round trip

}  // namespace

std::string journal_stream_key(std::string_view prefix, uint32_t shard) {
  std::string key{prefix};
  key += std::to_string(shard);
  return key;
}

stream_entries parse_stream_entries(const redisReply* reply, const std::string& key) {
  if (reply->type != REDIS_REPLY_ARRAY)
    throw std::runtime_error("journal stream " + key + ": a range answered with a non-array");
  stream_entries out;
  out.ids.reserve(reply->elements);
  out.batches.reserve(reply->elements);
  for (size_t i = 0; i < reply->elements; ++i) {
    const redisReply* e = reply->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
        e->element[0]->type != REDIS_REPLY_STRING || e->element[1]->type != REDIS_REPLY_ARRAY)
      throw std::runtime_error("journal stream " + key + ": entry " + std::to_string(i) +
                               " of a range has an unexpected shape");
    out.ids.emplace_back(reply_text(e->element[0]));
    const redisReply* fields = e->element[1];
    std::string bytes;
    for (size_t k = 0; k + 1 < fields->elements; k += 2)
      if (fields->element[k]->type == REDIS_REPLY_STRING &&
          reply_text(fields->element[k]) == "b" &&
          fields->element[k + 1]->type == REDIS_REPLY_STRING)
        bytes = reply_text(fields->element[k + 1]);
    out.batches.push_back(std::move(bytes));
  }
  return out;
}

stream_entries read_stream_page(redis_connection& c, const std::string& key,
                                const std::string& from, size_t count) {
  auto n = std::to_string(count);
  auto r = c.run({"XRANGE", key, from, "+", "COUNT", n});
  return parse_stream_entries(r.get(), key);
}

size_t cut_stream(redis_connection& c, const std::string& key, const std::string& from_id) {
  size_t cut = 0;
  for (;;) {
    auto page = read_stream_page(c, key, from_id, cut_page);
    if (page.ids.empty())
      return cut;
    std::vector<std::string_view> args{"XDEL", key};  // one round trip per page
    for (const auto& id : page.ids)
      args.push_back(id);
    cut += static_cast<size_t>(c.run(args)->integer);
  }
}

void trim_stream(redis_connection& c, const std::string& key, const std::string& min_id) {
  c.run({"XTRIM", key, "MINID", min_id});
}

}  // namespace settle::persistence
