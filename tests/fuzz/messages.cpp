// Fuzz target: what a hostile peer can send after the handshake. CAF's
// BASP reads each message as `binary_deserializer{ctx, payload}` applied
// to the forwarding stack and a `caf::message`, whose elements name their
// types; this target does the same, and also reads each retrain message
// type directly, so that the fuzzer needs no type name to reach a type's
// fields. The first byte picks the type (one past the last type: a whole
// message as BASP reads it); the rest is the payload. The types are those
// of the type-id block in `retrain/fwd.hpp`, in its order.
//
// Checked: nothing crashes or leaks; what deserializes prints (as logs do)
// and serializes to bytes that read back to the same bytes; a strategy
// snapshot restores only into a strategy it fits, which then keeps
// working.

#include <array>
#include <utility>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/deep_to_string.hpp>
#include <caf/message.hpp>

#include "fuzz_check.hpp"
#include "message_types.hpp"
#include "retrain/core/strategy_factory.hpp"
#include "retrain/messages.hpp"

using namespace retrain;

namespace {

// One actor system for every input: building one per input costs more than
// everything else together.
caf::actor_system& fuzz_system() {
  static caf::actor_system* sys = [] {
    static caf::actor_system_config cfg;
    register_messages(cfg);
    cfg.set("logger.verbosity", caf::atom("quiet"));
    cfg.set("scheduler.max-threads", 1);
    return new caf::actor_system{cfg};
  }();
  return *sys;
}

template <class... Ts>
std::vector<char> serialize(Ts&... xs) {
  std::vector<char> buf;
  caf::binary_serializer sink{fuzz_system(), buf};
  RETRAIN_FUZZ_CHECK(!sink(xs...));
  return buf;
}

// A snapshot from a peer restores only into a strategy it fits, which
// keeps working afterwards.
void try_restore(const core::strategy_snapshot& snapshot) {
  for (auto& info : core::strategies()) {
    core::param_map params;
    if (info.name == "ewma_threshold")
      params["threshold"] = "0.5";
    auto made = info.make(params);
    RETRAIN_FUZZ_CHECK(made);
    auto& s = **made;
    if (!s.restore(snapshot))
      continue;
    RETRAIN_FUZZ_CHECK(snapshot.strategy == s.name());
    for (double x : {0.0, 1.0, 1.0, 0.0, 0.5})
      if (!s.check(x))
        s.update(x);
    auto again = s.snapshot();
    RETRAIN_FUZZ_CHECK(s.clone()->restore(again));
  }
}

template <class T>
void extra_checks(const T&) {
  // nop
}

void extra_checks(const core::strategy_snapshot& x) {
  try_restore(x);
}

void extra_checks(const monitor_snapshot& x) {
  for (auto& s : x.strategies)
    try_restore(s);
}

// Reads a `T` from `payload` and checks what came out.
template <class T>
void read_as(const char* payload, std::size_t size) {
  T x{};
  caf::binary_deserializer source{fuzz_system(), payload, size};
  if (source(x))
    return; // refused: what a node does with a malformed message
  (void) caf::deep_to_string(x);
  auto bytes = serialize(x);
  T y{};
  caf::binary_deserializer again{fuzz_system(), bytes};
  RETRAIN_FUZZ_CHECK(!again(y));
  RETRAIN_FUZZ_CHECK(serialize(y) == bytes);
  extra_checks(x);
}

// Reads the payload the way BASP reads a remote message.
void read_as_message(const char* payload, std::size_t size) {
  std::vector<caf::strong_actor_ptr> stages;
  caf::message msg;
  caf::binary_deserializer source{fuzz_system(), payload, size};
  if (source(stages, msg))
    return;
  (void) caf::to_string(msg);
  auto bytes = serialize(stages, msg);
  std::vector<caf::strong_actor_ptr> stages2;
  caf::message msg2;
  caf::binary_deserializer again{fuzz_system(), bytes};
  RETRAIN_FUZZ_CHECK(!again(stages2, msg2));
  RETRAIN_FUZZ_CHECK(serialize(stages2, msg2) == bytes);
}

using reader = void (*)(const char*, std::size_t);

// One reader per type of the type-id block, in its order, then the reader
// of whole messages.
template <std::size_t... Is>
constexpr std::array<reader, sizeof...(Is) + 1>
make_readers(std::index_sequence<Is...>) {
  return {&read_as<fuzz::message_type<Is>>..., &read_as_message};
}

constexpr auto readers
  = make_readers(std::make_index_sequence<fuzz::message_type_count>{});

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0)
    return 0;
  auto read = readers[data[0] % readers.size()];
  read(reinterpret_cast<const char*>(data + 1), size - 1);
  return 0;
}
