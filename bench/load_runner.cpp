#include "bench/load_runner.hpp"

#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <thread>

#include <absl/container/flat_hash_map.h>
#include <fmt/format.h>

#include "client/json_output.hpp"

namespace settle::bench {

namespace {

using clock_type = std::chrono::steady_clock;

template <class Duration>
clock_type::duration to_clock(Duration d) {
  return std::chrono::duration_cast<clock_type::duration>(d);
}

/// What one load thread saw.
struct thread_result {
  histogram latency;
  outcome_counts outcomes;
  uint64_t measured = 0;
  std::string failure;
};

/// One connection of a load thread: its wallet, its share of the load and what is in flight.
struct connection_state {
  std::unique_ptr<wallet_target> target;
  std::unique_ptr<workload_generator> gen;
  absl::flat_hash_map<uint64_t, clock_type::time_point> intended;  // tag -> scheduled time
  clock_type::time_point next_at;  // open loop: when the next request is due
  clock_type::time_point last_answer;
  uint64_t next_tag = 1;
};

/// When a load starts, when its measured window opens and when it ends.
struct load_window {
  clock_type::time_point start, measure_from, stop_at;
};

/// Drives connections [first, last) from one thread: every connection keeps its requests in
/// flight (closed loop) or sends on its schedule (open loop), and one poll() waits for all of
/// them, so a thread serves many connections without a wake-up per answer. Throws on a
/// connection's failure.
class load_thread {
public:
  load_thread(const load_options& o, const load_window& win, std::atomic<uint64_t>& progress,
              thread_result& out)
      : o_(o), win_(win), progress_(progress), out_(out), open_loop_(o.rate_per_s > 0),
        // Open loop: each connection's share of the rate, on a fixed schedule from `start`.
        interval_(open_loop_ ? to_clock(std::chrono::duration<double>(
                                   static_cast<double>(o.connections) / o.rate_per_s))
                             : clock_type::duration::zero()) {}

  /// Opens the connections [first, last), their phases spread over one interval.
  void open(const std::function<std::unique_ptr<wallet_target>()>& make_target, int first,
            int last) {
    conns_.resize(static_cast<size_t>(last - first));
    fds_.resize(conns_.size());
    for (int c = first; c < last; ++c) {
      auto& cs = conns_[static_cast<size_t>(c - first)];
      cs.target = make_target();
      cs.gen = std::make_unique<workload_generator>(o_.load, c);
      cs.intended.reserve(static_cast<size_t>(o_.depth) * 2);
      cs.next_at = win_.start + interval_ * c / o_.connections;
      cs.last_answer = clock_type::now();
    }
  }

  /// Sends and receives until the window's end or `abort`.
  void run(const std::atomic<bool>& abort) {
    while (!abort.load(std::memory_order_relaxed)) {
      auto now = clock_type::now();
      if (now >= win_.stop_at)
        break;
      auto wait_until = now + std::chrono::milliseconds(10);
      // Open loop: wake at the earliest due send, but not sooner than one tick from now, so
      // each wake-up sends a few requests instead of a syscall per request (their latency is
      // counted from their schedule, so the tick shows in the figures, not hidden).
      const auto earliest = now + to_clock(std::chrono::microseconds(o_.tick_us));
      for (size_t i = 0; i < conns_.size(); ++i) {
        auto& cs = conns_[i];
        send_due(cs, now);
        if (open_loop_ && cs.next_at < wait_until)
          wait_until = std::max(cs.next_at, earliest);
        if (!cs.intended.empty() && now - cs.last_answer > std::chrono::seconds(10))
          throw std::runtime_error("no answer within 10 s");
        fds_[i] = {cs.target->fd(),
                   static_cast<short>(POLLIN | (cs.target->wants_write() ? POLLOUT : 0)), 0};
      }
      if (wait(now, wait_until) > 0)
        receive_ready();
    }
  }

  /// Drains what is still in flight so the wallet is quiescent afterwards (bounded).
  void drain() {
    auto drain_until = clock_type::now() + std::chrono::seconds(10);
    for (auto& cs : conns_) {
      while (!cs.intended.empty() && clock_type::now() < drain_until) {
        uint64_t tag = 0;
        if (cs.target->receive(tag, resp_, 1'000))
          cs.intended.erase(tag);
      }
    }
  }

private:
  /// Sends on `cs` what is due: up to `depth` in flight, and in the open loop only what its
  /// schedule has reached by `now`.
  void send_due(connection_state& cs, clock_type::time_point now) {
    bool sent = false;
    while (cs.intended.size() < static_cast<size_t>(o_.depth) &&
           (!open_loop_ || cs.next_at <= now) && cs.next_at < win_.stop_at) {
      auto tag = cs.next_tag++;
      cs.target->send(tag, cs.gen->next());
      cs.intended[tag] = open_loop_ ? cs.next_at : now;
      cs.next_at += interval_;
      sent = true;
    }
    if (sent)
      cs.target->flush();
  }

  /// Waits in ppoll() until a connection is ready or `wait_until`; the number ready.
  int wait(clock_type::time_point now, clock_type::time_point wait_until) {
    auto wait_ns = std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::nanoseconds>(wait_until - now).count());
    timespec wait{static_cast<time_t>(wait_ns / 1'000'000'000),
                  static_cast<long>(wait_ns % 1'000'000'000)};
    int n = ::ppoll(fds_.data(), fds_.size(), &wait, nullptr);
    if (n < 0 && errno != EINTR)
      throw std::runtime_error(std::string{"poll failed: "} + std::strerror(errno));
    return n;
  }

  /// Reads every answer the ready connections have.
  void receive_ready() {
    auto got_at = clock_type::now();  // answers read now arrived by now: one clock read
    for (size_t i = 0; i < conns_.size(); ++i) {
      if (fds_[i].revents == 0)
        continue;
      auto& cs = conns_[i];
      uint64_t tag = 0;
      while (cs.target->receive(tag, resp_, 0)) {
        cs.last_answer = got_at;
        handle(cs, tag, resp_, got_at);
      }
    }
  }

  /// Counts one answer: its latency and outcome when its request was due in the window.
  void handle(connection_state& cs, uint64_t tag, const protocol::response& resp,
              clock_type::time_point now) {
    auto it = cs.intended.find(tag);
    if (it == cs.intended.end())
      throw std::runtime_error(fmt::format("answer for unknown request {} ({}: {})", tag,
                                           protocol::to_string(resp.error), resp.message));
    if (it->second >= win_.measure_from && it->second < win_.stop_at) {
      out_.latency.record(static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - it->second).count()));
      ++out_.measured;
      out_.outcomes.add(resp);
    }
    cs.intended.erase(it);
    progress_.fetch_add(1, std::memory_order_relaxed);
  }

  const load_options& o_;
  const load_window win_;
  std::atomic<uint64_t>& progress_;
  thread_result& out_;
  const bool open_loop_;
  const clock_type::duration interval_;
  std::vector<connection_state> conns_;
  std::vector<pollfd> fds_;
  protocol::response resp_;  // reused for every answer
};

/// One load thread's whole life: a failure is kept in `out` and stops the other threads.
void run_thread(const load_options& o,
                const std::function<std::unique_ptr<wallet_target>()>& make_target, int first,
                int last, const load_window& win, std::atomic<uint64_t>& progress,
                std::atomic<bool>& abort, thread_result& out) {
  try {
    load_thread t{o, win, progress, out};
    t.open(make_target, first, last);
    t.run(abort);
    t.drain();
  } catch (const std::exception& e) {
    out.failure = e.what();
    abort = true;
  }
}

/// Opens and funds the accounts through one target; fills the target's name and setup_s.
void set_up(const load_options& o,
            const std::function<std::unique_ptr<wallet_target>()>& make_target,
            load_result& res) {
  auto t0 = clock_type::now();
  {
    auto target = make_target();
    res.target = target->name();
    target->setup(accounts_of(o.load));
  }
  res.setup_s = std::chrono::duration<double>(clock_type::now() - t0).count();
  if (o.progress)
    std::cerr << fmt::format("setup: {} accounts opened and funded on {} in {:.2f} s\n",
                             o.load.accounts, res.target, res.setup_s);
}

/// Prints progress once a second on stderr until the window's end; returns early when a
/// connection fails (`abort`).
void watch_progress(const load_options& o, const load_window& win,
                    const std::atomic<uint64_t>& progress, const std::atomic<bool>& abort) {
  uint64_t last = 0;
  auto last_at = win.start;
  for (auto tick = win.start + std::chrono::seconds(1); !abort;
       tick += std::chrono::seconds(1)) {
    auto wake = std::min(tick, win.stop_at);
    while (!abort && clock_type::now() < wake)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    auto now_t = clock_type::now();
    uint64_t now = progress.load();
    double dt = std::chrono::duration<double>(now_t - last_at).count();
    if (o.progress)
      std::cerr << fmt::format("  {:6.1f} s  {:>9.0f} responses/s{}\n",
                               std::chrono::duration<double>(now_t - win.start).count(),
                               dt > 0 ? static_cast<double>(now - last) / dt : 0.0,
                               last_at < win.measure_from ? "  (warmup)" : "");
    last = now;
    last_at = now_t;
    if (now_t >= win.stop_at)
      break;
  }
}

/// Merges the threads' figures into `res`; throws when any thread failed.
void merge_results(const load_options& o, const std::vector<thread_result>& results,
                   load_result& res) {
  histogram all;
  std::string failures;
  for (size_t t = 0; t < results.size(); ++t) {
    auto& r = results[t];
    if (!r.failure.empty())
      failures += fmt::format("{}thread {}: {}", failures.empty() ? "" : "; ", t, r.failure);
    all.merge(r.latency);
    res.responses += r.measured;
    res.outcomes.merge(r.outcomes);
  }
  if (!failures.empty())
    throw std::runtime_error(fmt::format("load on {} aborted ({} responses measured before): {}",
                                         res.target, res.responses, failures));
  res.throughput_per_s = static_cast<double>(res.responses) / o.duration_s;
  auto us = [&](double q) { return static_cast<double>(all.quantile(q)) / 1000.0; };
  res.p50_us = us(0.5);
  res.p99_us = us(0.99);
  res.p999_us = us(0.999);
  res.max_us = static_cast<double>(all.max()) / 1000.0;
}

}  // namespace

load_result run_load(const load_options& o,
                     const std::function<std::unique_ptr<wallet_target>()>& make_target,
                     load_observer* observer) {
  load_result res;
  set_up(o, make_target, res);
  if (observer)
    observer->prepare();

  std::atomic<uint64_t> progress{0};
  std::atomic<bool> abort{false};
  const int threads = std::clamp(o.threads, 1, o.connections);
  std::vector<thread_result> results(static_cast<size_t>(threads));
  load_window win;
  win.start = clock_type::now();
  win.measure_from = win.start + to_clock(std::chrono::duration<double>(o.warmup_s));
  win.stop_at = win.measure_from + to_clock(std::chrono::duration<double>(o.duration_s));
  if (observer)
    observer->start(win.measure_from, win.stop_at);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    // Connections split as evenly as possible between the threads.
    int first = o.connections * t / threads, last = o.connections * (t + 1) / threads;
    pool.emplace_back(run_thread, std::cref(o), std::cref(make_target), first, last,
                      std::cref(win), std::ref(progress), std::ref(abort),
                      std::ref(results[static_cast<size_t>(t)]));
  }
  watch_progress(o, win, progress, abort);
  for (auto& th : pool)
    th.join();
  if (observer)
    observer->stop();
  merge_results(o, results, res);
  return res;
}

std::string to_json(const load_options& o, const load_result& r,
                    std::string_view extra_members) {
  std::string oc;
  for (auto& [k, v] : r.outcomes.named())
    oc += fmt::format("{}{}:{}", oc.empty() ? "" : ",", client::json_quote(k), v);
  return fmt::format(
      "{{\"target\":{},\"connections\":{},\"depth\":{},\"rate_per_s\":{},"
      "\"accounts\":{},\"partners\":{},\"currencies\":{},\"zipf_s\":{},"
      "\"warmup_s\":{},\"duration_s\":{},\"setup_s\":{:.3f},\"responses\":{},"
      "\"throughput_per_s\":{:.1f},\"p50_us\":{:.1f},\"p99_us\":{:.1f},\"p999_us\":{:.1f},"
      "\"max_us\":{:.1f},\"outcomes\":{{{}}}{}}}",
      client::json_quote(r.target), o.connections, o.depth, o.rate_per_s, o.load.accounts,
      o.load.partners, o.load.currencies, o.load.zipf_s, o.warmup_s, o.duration_s, r.setup_s,
      r.responses, r.throughput_per_s, r.p50_us, r.p99_us, r.p999_us, r.max_us, oc, extra_members);
}

}  // namespace settle::bench
