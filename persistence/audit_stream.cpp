#include "persistence/audit_stream.hpp"

#include <stdexcept>
#include <type_traits>
#include <utility>

#include "persistence/redis_connection.hpp"

namespace settle::persistence {

protocol::audit_entry audit_entry_of(
    std::string id, const std::vector<std::pair<std::string, std::string>>& fields) {
  protocol::audit_entry e;
  e.id = std::move(id);
  for (const auto& [k, v] : fields) {
    if (k == "at") {
      try {
        e.at_unix_ms = std::stoll(v);
      } catch (const std::exception&) {
        e.at_unix_ms = 0;  // a hand-edited entry: shown, with no time
      }
    } else if (k == "who") {
      e.who = v;
    } else if (k == "op") {
      e.op = v;
    } else if (k == "target") {
      e.target = v;
    } else if (k == "result") {
      e.result = v;
    } else if (k == "message") {
      e.message = v;
    }
  }
  return e;
}

namespace {

std::string text(const redisReply* r) { return std::string{reply_text(r)}; }

/// The rows of an XREVRANGE reply: [[id, [field, value, ...]], ...].
std::vector<protocol::audit_entry> entries_of(const redisReply* r, const std::string& key) {
  if (r->type != REDIS_REPLY_ARRAY)
    throw std::runtime_error("audit stream " + key + ": XREVRANGE did not answer an array");
  std::vector<protocol::audit_entry> out;
  for (size_t i = 0; i < r->elements; ++i) {
    const redisReply* row = r->element[i];
    if (row->type != REDIS_REPLY_ARRAY || row->elements != 2 ||
        row->element[1]->type != REDIS_REPLY_ARRAY)
      throw std::runtime_error("audit stream " + key + ": an entry of an unknown shape");
    std::vector<std::pair<std::string, std::string>> fields;
    const redisReply* f = row->element[1];
    for (size_t j = 0; j + 1 < f->elements; j += 2)
      fields.emplace_back(text(f->element[j]), text(f->element[j + 1]));
    out.push_back(audit_entry_of(text(row->element[0]), fields));
  }
  return out;
}

class redis_audit_store final : public audit_store {
public:
  redis_audit_store(const redis_address& addr, std::string key)
      : addr_(addr), key_(std::move(key)) {}

  std::string append(const protocol::audit_entry& e) override {
    const std::string at = std::to_string(e.at_unix_ms);
    return with_connection([&](redis_connection& c) -> std::string {
      auto r = c.run({"XADD", key_, "*", "at", at, "who", e.who, "op", e.op, "target", e.target,
                      "result", e.result, "message", e.message});
      if (r->type != REDIS_REPLY_STRING || r->len == 0)
        throw std::runtime_error("audit stream " + key_ + ": XADD answered without an id");
      return text(r.get());
    });
  }

  std::vector<protocol::audit_entry> read(uint32_t limit, std::string_view before) override {
    const std::string from = before.empty() ? "+" : "(" + std::string{before};
    const std::string count = std::to_string(limit);
    return with_connection([&](redis_connection& c) -> std::vector<protocol::audit_entry> {
      auto r = c.run({"XREVRANGE", key_, from, "-", "COUNT", count});
      return entries_of(r.get(), key_);
    });
  }

private:
  /// Runs `f` on the connection, connecting first when there is none and once more when it
  /// fails on a lost connection.
  template <class F>
  std::invoke_result_t<F, redis_connection&> with_connection(F&& f) {
    for (int attempt = 0;; ++attempt) {
      try {
        if (!conn_)
          conn_ = std::make_unique<redis_connection>(addr_);
        return f(*conn_);
      } catch (const redis_error&) {
        conn_.reset();
        if (attempt == 1)
          throw;
      }
    }
  }

  redis_address addr_;
  std::string key_;
  std::unique_ptr<redis_connection> conn_;
};

}  // namespace

std::shared_ptr<audit_store> make_redis_audit_store(const redis_address& addr, std::string key) {
  return std::make_shared<redis_audit_store>(addr, std::move(key));
}

}  // namespace settle::persistence
