// The snapshot format in memory, in the style of LevelDB's db/log_test.cc: images round-trip
// through chunks, a stored format-2 snapshot still loads, and every way a snapshot can be
// damaged (a flipped byte, truncation, chunks dropped, reordered or repeated, another
// generation, a missing trailer, wrong counts, duplicate items, another shard count, bad
// fields) is refused with a message naming the chunk and item. A snapshot that does not sum
// to zero stops the process, before it is written and after it is read.
#define BOOST_TEST_MODULE snapshot_format
#include <boost/test/unit_test.hpp>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <msgpack.hpp>

#include "ledger/content_hash.hpp"
#include "persistence/snapshot_format.hpp"
#include "tests/persistence/journal_model.hpp"
#include "tests/persistence/snapshot_images.hpp"

using namespace settle;
using namespace settle::persistence;
using namespace settle::persistence::test;

namespace {

constexpr uint64_t gen = 7;

/// Item tags, as the format numbers them.
enum tag : uint64_t { header, account, id, clearing, transfer, trailer };

/// The message of the std::runtime_error `f` throws ("" if none).
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

std::string decode_error(const std::vector<std::string>& chunks, uint64_t g = gen,
                         uint32_t shards = 2) {
  return error_of([&] { decode_snapshot(chunks, g, shards); });
}

/// A chunk taken apart, to be changed and put together again with a valid checksum: damage
/// that only a bug (or a forger) can make, which the checks behind the checksum must catch.
struct chunk_parts {
  uint32_t format = 0;
  uint64_t gen = 0;
  uint32_t index = 0;
  std::vector<msgpack::object> items;
  msgpack::zone& zone;

  /// Item `i` as a vector of its fields (a copy, for edits that change its length).
  std::vector<msgpack::object> fields(size_t i) const {
    const auto& a = items.at(i).via.array;
    return {a.ptr, a.ptr + a.size};
  }
  void set_fields(size_t i, const std::vector<msgpack::object>& f) {
    auto* p = static_cast<msgpack::object*>(
        zone.allocate_align(sizeof(msgpack::object) * f.size()));
    std::copy(f.begin(), f.end(), p);
    items.at(i).via.array.ptr = p;
    items.at(i).via.array.size = static_cast<uint32_t>(f.size());
  }
  /// The index of the first item with `t`.
  size_t find(tag t) const {
    for (size_t i = 0; i < items.size(); ++i)
      if (items[i].via.array.ptr[0].as<uint64_t>() == t)
        return i;
    BOOST_FAIL("no item with tag " << t);
    return 0;
  }
};

std::string seal(const chunk_parts& p) {
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{buf};
  pk.pack_array(5);
  pk.pack(p.format);
  pk.pack(p.gen);
  pk.pack(p.index);
  pk.pack_array(static_cast<uint32_t>(p.items.size()));
  for (const auto& o : p.items)
    pk.pack(o);
  pk.pack_fix_uint64(ledger::content_hash(std::string_view{buf.data(), buf.size()}));
  return {buf.data(), buf.size()};
}

/// `chunk` changed by `edit`, with its checksum made right again.
std::string edited(const std::string& chunk, const std::function<void(chunk_parts&)>& edit) {
  auto oh = msgpack::unpack(chunk.data(), chunk.size());
  const auto& f = oh.get().via.array.ptr;
  const auto& items = f[3].via.array;
  chunk_parts p{f[0].as<uint32_t>(), f[1].as<uint64_t>(), f[2].as<uint32_t>(),
                {items.ptr, items.ptr + items.size}, *oh.zone()};
  edit(p);
  return seal(p);
}

/// The small image in one chunk.
std::vector<std::string> small_chunks() { return encode_snapshot(small_image(), gen); }

/// The small image with one edit of its only chunk.
std::vector<std::string> small_edited(const std::function<void(chunk_parts&)>& edit) {
  return {edited(small_chunks()[0], edit)};
}

/// A large image in chunks of at most 2 KB.
constexpr size_t small_chunk_bytes = 2048;
std::vector<std::string> many_chunks() {
  return encode_snapshot(large_image(3, 600, 200), gen, small_chunk_bytes);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// How a child process ended, and what it wrote to stderr.
struct child_end {
  bool aborted = false;  // died of SIGABRT
  std::string stderr_text;
};

/// Runs `f` in a forked child (for checks that abort the process).
child_end run_in_child(const std::function<void()>& f) {
  int fds[2];
  BOOST_REQUIRE(::pipe(fds) == 0);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    ::signal(SIGABRT, SIG_DFL);  // Boost.Test's monitor would catch it
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    try {
      f();
    } catch (...) {
      ::_exit(3);  // an exception is not the abort looked for
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  child_end out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;)
    out.stderr_text.append(buf, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  out.aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
  return out;
}

/// small_image() as written by the format-2 code (before ids lost `has_amount`), generation 1.
std::string stored_format_2() {
  const char* hex =
    "950201009b97000292930ccfabcdef0123456789af313739303030303030303030302d30930342af31373930"
    "3030303030303030312d35920102020301990100a3626f622807ce00455552000192a461636d65a47a657461"
    "990101a5616c696365cc9603ce00455552000091a461636d65990101a56361726f6c1901ce00555344000090"
    "9f02cf84212497ab547aabcf74e236062652c26ccf1122334455667788ce6ab13bfb1e7802a5616c696365ce"
    "00455552010000c3c29f02cf92617755aaf37bb2cf741df3da5a489c4d63ce6ab13d48000000a3626f62ce00"
    "455552020202c2c29b03a0ce00455552d0d8020000000000009b03a0ce00555344e7010000000000009b03a4"
    "61636d65ce00455552d1ff5609cce63c000502009b04a400742d31a3626f62a5616c696365a345555214a374"
    "2d31cdfeedcf000001a0c4506f15c3c2950503020301cf15793aef2d496ef3"
      ;
  std::string out;
  for (const char* p = hex; p[0] != '\0' && p[1] != '\0'; p += 2)
    out.push_back(static_cast<char>(std::stoi(std::string{p, 2}, nullptr, 16)));
  return out;
}

/// Where the partners of the small image's accounts are kept.
void check_partners(const durable_image& img) {
  auto has = [&](const std::string& account, const char* partner) {
    auto s = shard_of(account, img.shards);
    return ledger::has_partner(img.accounts[s].at(account), img.partner_spill[s], account,
                               partner);
  };
  BOOST_CHECK(has("alice", "acme"));
  BOOST_CHECK(!has("alice", "zeta"));
  BOOST_CHECK(has("bob", "acme") && has("bob", "zeta"));
  BOOST_CHECK(!has("carol", "acme"));
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Round trips

BOOST_AUTO_TEST_CASE(an_image_round_trips_with_every_field) {
  auto chunks = small_chunks();
  BOOST_REQUIRE_EQUAL(chunks.size(), 1u);
  auto img = decode_snapshot(chunks, gen, 2);
  BOOST_CHECK_EQUAL(image_difference(img, small_image()), "");
  check_partners(img);
  // The test's own re-sealing changes nothing when nothing is edited.
  BOOST_CHECK(edited(chunks[0], [](chunk_parts&) {}) == chunks[0]);
}

BOOST_AUTO_TEST_CASE(an_empty_image_round_trips) {
  auto chunks = encode_snapshot(durable_image{3}, gen);
  BOOST_REQUIRE_EQUAL(chunks.size(), 1u);
  BOOST_CHECK_EQUAL(image_difference(decode_snapshot(chunks, gen, 3), durable_image{3}), "");
}

BOOST_AUTO_TEST_CASE(a_large_image_is_cut_into_chunks_of_bounded_size) {
  auto img = large_image(3, 600, 200);
  auto chunks = encode_snapshot(img, gen, small_chunk_bytes);
  BOOST_CHECK_GT(chunks.size(), 20u);
  for (const auto& c : chunks)
    BOOST_CHECK_LE(c.size(), small_chunk_bytes);
  BOOST_CHECK_EQUAL(image_difference(decode_snapshot(chunks, gen, 3), img), "");
  // The streaming form hands over the same chunks, in order.
  std::vector<std::string> streamed;
  auto n = encode_snapshot(img, gen, [&](std::string c) { streamed.push_back(std::move(c)); },
                           small_chunk_bytes);
  BOOST_CHECK_EQUAL(n, streamed.size());
  BOOST_CHECK_EQUAL(decode_error(streamed, gen, 3), "");
}

BOOST_AUTO_TEST_CASE(a_stored_format_2_snapshot_still_loads) {
  auto img = decode_snapshot({stored_format_2()}, 1, 2);
  BOOST_CHECK_EQUAL(image_difference(img, small_image()), "");
  check_partners(img);
}

BOOST_AUTO_TEST_CASE(format_2_in_many_chunks_loads_and_format_3_is_written) {
  // Format 3 as written, made format 2 by giving every id its old flag back.
  auto chunks = many_chunks();
  std::vector<std::string> old;
  for (const auto& c : chunks) {
    BOOST_CHECK_EQUAL(open_chunk(c, gen, static_cast<uint32_t>(old.size())).format, 3u);
    old.push_back(edited(c, [](chunk_parts& p) {
      p.format = 2;
      for (size_t i = 0; i < p.items.size(); ++i)
        if (p.items[i].via.array.ptr[0].as<uint64_t>() == tag::id) {
          auto f = p.fields(i);
          BOOST_REQUIRE_EQUAL(f.size(), 14u);  // the tag and 13 fields
          f.emplace_back(false);
          p.set_fields(i, f);
        }
    }));
  }
  BOOST_CHECK_EQUAL(image_difference(decode_snapshot(old, gen, 3), large_image(3, 600, 200)),
                    "");
  // One format per snapshot.
  auto mixed = old;
  mixed[1] = chunks[1];
  BOOST_CHECK_EQUAL(decode_error(mixed, gen, 3),
                    "snapshot generation 7, chunk 1: format 3 where chunk 0 has format 2");
}

// ---------------------------------------------------------------------------------------
// Damage the checksum finds

BOOST_AUTO_TEST_CASE(every_flipped_byte_is_refused) {
  auto chunk = small_chunks()[0];
  for (size_t i = 0; i < chunk.size(); ++i) {
    for (char bit : {'\x01', '\x80'}) {
      auto damaged = chunk;
      damaged[i] ^= bit;
      auto problem = decode_error({damaged});
      BOOST_CHECK_MESSAGE(problem == "snapshot generation 7, chunk 0: checksum mismatch" ||
                              (i == chunk.size() - 9 &&
                               problem == "snapshot generation 7, chunk 0: no checksum at the end"),
                          "byte " << i << ": " << problem);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_truncated_chunk_is_refused) {
  auto chunk = small_chunks()[0];
  for (size_t len : {size_t{0}, size_t{1}, size_t{9}})
    BOOST_CHECK_EQUAL(decode_error({chunk.substr(0, len)}),
                      "snapshot generation 7, chunk 0: truncated");
  for (size_t len = 10; len < chunk.size(); ++len) {
    auto problem = decode_error({chunk.substr(0, len)});
    BOOST_CHECK_MESSAGE(problem == "snapshot generation 7, chunk 0: checksum mismatch" ||
                            problem == "snapshot generation 7, chunk 0: no checksum at the end",
                        "length " << len << ": " << problem);
  }
}

BOOST_AUTO_TEST_CASE(bytes_after_a_sealed_chunk_are_refused) {
  // Sealed over its whole length but with more after the array: not a chunk.
  auto chunk = small_chunks()[0];
  std::string longer = chunk.substr(0, chunk.size() - 9) + '\xc0';  // a trailing nil
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk{buf};
  pk.pack_fix_uint64(ledger::content_hash(longer));
  longer.append(buf.data(), buf.size());
  BOOST_CHECK_EQUAL(decode_error({longer}), "snapshot generation 7, chunk 0: trailing bytes");
}

// ---------------------------------------------------------------------------------------
// Chunks in the wrong place

BOOST_AUTO_TEST_CASE(a_dropped_chunk_is_refused) {
  auto chunks = many_chunks();
  chunks.erase(chunks.begin() + 1);
  BOOST_CHECK_EQUAL(decode_error(chunks, gen, 3),
                    "snapshot generation 7, chunk 1: belongs to another generation or position");
}

BOOST_AUTO_TEST_CASE(reordered_chunks_are_refused) {
  auto chunks = many_chunks();
  std::swap(chunks[2], chunks[3]);
  BOOST_CHECK_EQUAL(decode_error(chunks, gen, 3),
                    "snapshot generation 7, chunk 2: belongs to another generation or position");
}

BOOST_AUTO_TEST_CASE(a_repeated_chunk_is_refused) {
  auto chunks = many_chunks();
  chunks.insert(chunks.begin() + 2, chunks[1]);
  BOOST_CHECK_EQUAL(decode_error(chunks, gen, 3),
                    "snapshot generation 7, chunk 2: belongs to another generation or position");
}

BOOST_AUTO_TEST_CASE(a_chunk_of_another_generation_is_refused) {
  BOOST_CHECK_EQUAL(decode_error(small_chunks(), gen + 1),
                    "snapshot generation 8, chunk 0: belongs to another generation or position");
}

BOOST_AUTO_TEST_CASE(a_snapshot_without_its_trailer_is_refused) {
  auto chunks = many_chunks();
  chunks.pop_back();
  BOOST_CHECK_EQUAL(decode_error(chunks, gen, 3),
                    "snapshot generation 7 ends without its trailer");
  BOOST_CHECK_EQUAL(decode_error({}, gen, 3), "snapshot generation 7 ends without its trailer");
  // Sealed, but with the trailer removed.
  auto cut = small_edited([](chunk_parts& p) { p.items.pop_back(); });
  BOOST_CHECK_EQUAL(decode_error(cut), "snapshot generation 7 ends without its trailer");
}

BOOST_AUTO_TEST_CASE(a_snapshot_of_another_shard_count_is_refused) {
  BOOST_CHECK_EQUAL(decode_error(small_chunks(), gen, 3),
                    "the snapshot has 2 shards but 3 are configured");
}

// ---------------------------------------------------------------------------------------
// Sealed chunks with wrong contents

BOOST_AUTO_TEST_CASE(an_unknown_format_is_refused) {
  for (uint32_t format : {1u, 4u}) {
    auto chunks = small_edited([&](chunk_parts& p) { p.format = format; });
    BOOST_CHECK_EQUAL(decode_error(chunks), "snapshot generation 7, chunk 0: unknown format version " +
                                                std::to_string(format));
  }
}

BOOST_AUTO_TEST_CASE(the_header_must_come_first_and_once) {
  auto no_header = small_edited([](chunk_parts& p) { p.items.erase(p.items.begin()); });
  BOOST_CHECK_EQUAL(decode_error(no_header),
                    "snapshot generation 7, chunk 0, item 0: does not start with its header");
  auto twice = small_edited([](chunk_parts& p) { p.items.insert(p.items.begin() + 1, p.items[0]); });
  BOOST_CHECK_EQUAL(decode_error(twice), "snapshot generation 7, chunk 0, item 1: second header");
  // In a later chunk too.
  auto chunks = many_chunks();
  chunks[2] = edited(chunks[2], [](chunk_parts& p) {
    // Only the tag is read of an item that cannot be there.
    p.items.insert(p.items.begin() + 3, msgpack::object(std::vector<uint64_t>{tag::header}, p.zone));
  });
  BOOST_CHECK_EQUAL(decode_error(chunks, gen, 3),
                    "snapshot generation 7, chunk 2, item 3: second header");
}

BOOST_AUTO_TEST_CASE(nothing_may_follow_the_trailer) {
  auto after = small_edited([](chunk_parts& p) { p.items.push_back(p.items[p.find(account)]); });
  BOOST_CHECK_EQUAL(decode_error(after),
                    "snapshot generation 7, chunk 0, item 11: item after the trailer");
}

BOOST_AUTO_TEST_CASE(duplicate_items_are_refused) {
  const std::pair<tag, const char*> kinds[] = {{account, "account listed twice"},
                                               {id, "id listed twice"},
                                               {clearing, "clearing account listed twice"},
                                               {transfer, "transfer listed twice"}};
  for (const auto& [t, message] : kinds) {
    size_t at = 0;
    auto twice = small_edited([&, t = t](chunk_parts& p) {
      at = p.find(t) + 1;
      p.items.insert(p.items.begin() + static_cast<ptrdiff_t>(at), p.items[at - 1]);
    });
    BOOST_CHECK_EQUAL(decode_error(twice), "snapshot generation 7, chunk 0, item " +
                                               std::to_string(at) + ": " + message);
  }
}

BOOST_AUTO_TEST_CASE(counts_must_match_the_header_and_the_trailer) {
  // The trailer counts one id more than there are.
  auto trailer_ids = small_edited([](chunk_parts& p) {
    p.items.back().via.array.ptr[2].via.u64 += 1;
  });
  BOOST_CHECK_EQUAL(decode_error(trailer_ids),
                    "snapshot generation 7, chunk 0, item 10: item counts do not match the header "
                    "and trailer");
  // The header announces one account more in shard 0.
  auto header_accounts = small_edited([](chunk_parts& p) {
    p.items[0].via.array.ptr[3].via.array.ptr[0].via.u64 += 1;
  });
  auto problem = decode_error(header_accounts);
  BOOST_CHECK_MESSAGE(contains(problem, "snapshot generation 7, chunk 0, item 10: shard 0 has ") &&
                          contains(problem, " accounts, the header announced "),
                      problem);
  // An account item dropped (the rest sealed again): counts no longer add up.
  auto dropped = small_edited([](chunk_parts& p) { p.items.erase(p.items.begin() + 1); });
  problem = decode_error(dropped);
  BOOST_CHECK_MESSAGE(contains(problem, "snapshot generation 7, chunk 0, item 9: shard "), problem);
  // A position too many in the header.
  auto positions = small_edited([](chunk_parts& p) {
    auto f = p.fields(0);
    f[2].via.array.size -= 1;
    p.set_fields(0, f);
  });
  BOOST_CHECK_EQUAL(decode_error(positions),
                    "snapshot generation 7, chunk 0, item 0, positions: wrong number of positions");
}

BOOST_AUTO_TEST_CASE(bad_fields_are_named) {
  auto balance_as_text = small_edited([](chunk_parts& p) {
    p.items[p.find(account)].via.array.ptr[3] = msgpack::object(std::string{"150"}, p.zone);
  });
  BOOST_CHECK_EQUAL(decode_error(balance_as_text),
                    "snapshot generation 7, chunk 0, item 1: field 3 is not a fitting number");
  auto status_9 = small_edited([](chunk_parts& p) {
    p.items[p.find(account)].via.array.ptr[7].via.u64 = 9;
  });
  BOOST_CHECK_EQUAL(decode_error(status_9),
                    "snapshot generation 7, chunk 0, item 1: field 7 is out of range");
  auto extra = small_edited([](chunk_parts& p) {
    size_t i = p.find(clearing);
    auto f = p.fields(i);
    f.emplace_back(uint64_t{1});
    p.set_fields(i, f);
  });
  BOOST_CHECK_EQUAL(decode_error(extra), "snapshot generation 7, chunk 0, item 6: too many fields");
  auto short_id = small_edited([](chunk_parts& p) {
    size_t i = p.find(id);
    auto f = p.fields(i);
    f.pop_back();
    p.set_fields(i, f);
  });
  BOOST_CHECK_EQUAL(decode_error(short_id), "snapshot generation 7, chunk 0, item 4: too few fields");
  auto flag_as_number = small_edited([](chunk_parts& p) {
    p.items[p.find(transfer)].via.array.ptr[9] = msgpack::object(uint64_t{1});
  });
  BOOST_CHECK_EQUAL(decode_error(flag_as_number),
                    "snapshot generation 7, chunk 0, item 9: field 9 is not a boolean");
  auto unknown_tag = small_edited([](chunk_parts& p) {
    p.items[p.find(clearing)].via.array.ptr[0].via.u64 = 6;
  });
  BOOST_CHECK_EQUAL(decode_error(unknown_tag),
                    "snapshot generation 7, chunk 0, item 6: field 0 is out of range");
  auto bad_shard = small_edited([](chunk_parts& p) {
    p.items[p.find(account)].via.array.ptr[1].via.u64 = 2;
  });
  BOOST_CHECK_EQUAL(decode_error(bad_shard),
                    "snapshot generation 7, chunk 0, item 1: account in shard 2");
  auto partner_number = small_edited([](chunk_parts& p) {
    size_t i = p.find(account);
    auto& partners = p.items[i].via.array.ptr[8];
    partners = msgpack::object(std::vector<uint64_t>{1}, p.zone);
  });
  BOOST_CHECK_EQUAL(decode_error(partner_number),
                    "snapshot generation 7, chunk 0, item 1, partners: field 0 is not a string");
}

BOOST_AUTO_TEST_CASE(a_chunk_that_is_not_a_chunk_is_refused) {
  // Sealed msgpack of the wrong shape.
  auto seal_raw = [](const std::function<void(msgpack::packer<msgpack::sbuffer>&)>& body) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk{buf};
    body(pk);
    pk.pack_fix_uint64(ledger::content_hash(std::string_view{buf.data(), buf.size()}));
    return std::string{buf.data(), buf.size()};
  };
  // A 4-element array whose checksum is the fifth element: the frame is wrong, not the sum.
  auto four = seal_raw([](auto& pk) {
    pk.pack_array(4);
    pk.pack(3);
    pk.pack(gen);
    pk.pack(0);
  });
  BOOST_CHECK_EQUAL(decode_error({four}), "snapshot generation 7, chunk 0: not a 5-element chunk");
  auto items_not_array = seal_raw([](auto& pk) {
    pk.pack_array(5);
    pk.pack(3);
    pk.pack(gen);
    pk.pack(0);
    pk.pack(1);
  });
  BOOST_CHECK_EQUAL(decode_error({items_not_array}),
                    "snapshot generation 7, chunk 0: items are not an array");
}

// ---------------------------------------------------------------------------------------
// Invariants: a ledger that does not sum to zero is never written, and never taken as read

BOOST_AUTO_TEST_CASE(writing_a_ledger_that_does_not_sum_to_zero_aborts) {
  auto img = small_image();
  img.accounts[shard_of("carol", 2)].at("carol").balance += 5;
  auto end = run_in_child([&] { encode_snapshot(img, gen); });
  BOOST_CHECK(end.aborted);
  BOOST_CHECK_MESSAGE(contains(end.stderr_text, "settle: invariant failed at ") &&
                          contains(end.stderr_text, "snapshot generation 7: currency USD sums to 5"),
                      end.stderr_text);
}

BOOST_AUTO_TEST_CASE(reading_a_ledger_that_does_not_sum_to_zero_aborts) {
  // Sealed after alice's balance changed: the checksum passes, the sum does not.
  auto chunks = small_edited([](chunk_parts& p) {
    for (auto& item : p.items) {
      const auto* f = item.via.array.ptr;
      if (f[0].as<uint64_t>() == account && f[2].as<std::string>() == "alice")
        item.via.array.ptr[3].via.u64 += 1;
    }
  });
  auto end = run_in_child([&] { decode_snapshot(chunks, gen, 2); });
  BOOST_CHECK(end.aborted);
  BOOST_CHECK_MESSAGE(contains(end.stderr_text, "settle: invariant failed at ") &&
                          contains(end.stderr_text,
                                   "snapshot generation 7 as read: currency EUR sums to 1"),
                      end.stderr_text);
  // The same bytes without the change load, in this process.
  BOOST_CHECK_EQUAL(decode_error(small_chunks()), "");
}
