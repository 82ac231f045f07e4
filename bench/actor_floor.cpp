// What one CAF actor costs by itself, the floor under "one monitor per
// model": heap bytes per spawned event-based actor with a 16-byte state
// and one handler, and the rate of one-event messages sent round-robin to
// M such actors (each message finds its actor cold once M is large).
//
//   retrain-actor-floor [M] [ROUNDS]      defaults: 200000 10
//
// Prints `actors=M bytes_per_actor=B messages_per_sec=R`.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <malloc.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/typed_event_based_actor.hpp>

namespace {

using ping_atom = caf::atom_constant<caf::atom("ping")>;

using tiny_actor
  = caf::typed_actor<caf::replies_to<ping_atom, double>::with<double>>;

struct tiny_state {
  double ewma = 0;
  uint64_t n = 0;
};

tiny_actor::behavior_type tiny(tiny_actor::stateful_pointer<tiny_state> self) {
  return {[=](ping_atom, double x) {
    auto& st = self->state;
    st.ewma = 0.2 * x + 0.8 * st.ewma;
    ++st.n;
    return st.ewma;
  }};
}

} // namespace

int main(int argc, char** argv) {
  std::size_t actors = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  std::size_t rounds = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 10;
  if (actors == 0 || rounds == 0) {
    std::fputs("usage: retrain-actor-floor [M > 0] [ROUNDS > 0]\n", stderr);
    return 2;
  }
  caf::actor_system_config cfg;
  cfg.set("scheduler.policy", caf::atom("sharing")); // as nodes run
  caf::actor_system sys{cfg};
  std::vector<tiny_actor> all;
  all.reserve(actors);
  // Spawning from this thread allocates from the main arena, which
  // mallinfo2 reports.
  auto before = mallinfo2().uordblks;
  for (std::size_t i = 0; i < actors; ++i)
    all.push_back(sys.spawn(tiny));
  auto after = mallinfo2().uordblks;
  auto start = std::chrono::steady_clock::now();
  for (std::size_t r = 0; r < rounds; ++r)
    for (auto& a : all)
      caf::anon_send(a, ping_atom::value, 1.0);
  // A last round with a sender: each actor answers it after its earlier
  // messages, so every answer in means every message was handled.
  caf::scoped_actor self{sys};
  for (auto& a : all)
    self->send(a, ping_atom::value, 1.0);
  std::size_t answers = 0;
  self->receive_for(answers, actors)([](double) {});
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                            - start)
                .count();
  std::printf("actors=%zu bytes_per_actor=%.0f messages_per_sec=%.0f\n",
              actors, static_cast<double>(after - before) / actors,
              static_cast<double>(actors * (rounds + 1)) / secs);
  return 0;
}
