// Runs a producer on its own thread, at most two results ahead of the caller. Recovery uses it
// so that fetching and decoding the next piece (a snapshot chunk, a journal page) overlaps with
// folding the current one into the image, which is where the time goes; the other core is
// idle otherwise.
#pragma once

#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace settle::persistence {

template <class T>
class read_ahead {
public:
  /// `produce(emit)` calls `emit(value)` for each result in order; emit returns false once the
  /// caller has stopped listening. What `produce` throws is rethrown by next().
  using emitter = std::function<bool(T)>;
  explicit read_ahead(std::function<void(const emitter&)> produce)
      : thread_([this, produce = std::move(produce)] { run(produce); }) {}
  ~read_ahead() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }
  read_ahead(const read_ahead&) = delete;
  read_ahead& operator=(const read_ahead&) = delete;

  /// The next result; rethrows what the producer threw; nullopt once it has finished.
  std::optional<T> next() {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return !ready_.empty() || finished_; });
    if (ready_.empty()) {
      if (error_)
        std::rethrow_exception(error_);
      return std::nullopt;
    }
    T v = std::move(ready_.front());
    ready_.pop_front();
    changed_.notify_all();
    return v;
  }

private:
  static constexpr size_t ahead_max = 2;  // results waiting: bounds the memory they take

  void run(const std::function<void(const emitter&)>& produce) {
    std::exception_ptr error;
    try {
      produce([this](T v) {
        std::unique_lock<std::mutex> lock(mutex_);
        changed_.wait(lock, [&] { return stopping_ || ready_.size() < ahead_max; });
        if (stopping_)
          return false;
        ready_.push_back(std::move(v));
        changed_.notify_all();
        return true;
      });
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = error;
    finished_ = true;
    changed_.notify_all();
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<T> ready_;
  std::exception_ptr error_;
  bool stopping_ = false, finished_ = false;
  std::thread thread_;  // last: started once the rest is built
};

}  // namespace settle::persistence
