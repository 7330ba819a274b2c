// The engine as a wallet_target: one TCP connection speaking protocol v1.
#pragma once

#include <memory>
#include <string>

#include "bench/wallet_target.hpp"
#include "client/client.hpp"

namespace settle::bench {

/// settled over one connection, authenticated with an admin token (setup opens accounts and
/// deposits, which partner tokens may not).
class engine_target final : public wallet_target {
public:
  engine_target(const std::string& host_port, const std::string& token);
  std::string name() const override { return "settle"; }
  void setup(const std::vector<account_spec>& accounts) override;
  void send(uint64_t tag, const protocol::request& txn) override;
  void flush() override { conn_->flush(); }
  bool receive(uint64_t& tag, protocol::response& out, int timeout_ms) override;
  bool answer_ready() const override { return conn_->response_ready(); }
  int fd() const override { return conn_->fd(); }

private:
  std::unique_ptr<client::connection> conn_;
};

}  // namespace settle::bench
