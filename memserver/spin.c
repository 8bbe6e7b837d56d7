/* The adaptive busy-poll budget (see spin.h). */
#include "spin.h"

#define SPIN_FLOOR_NS 10000ull

spin_budget spin_init(unsigned spin_us) {
  uint64_t max = (uint64_t)spin_us * 1000;
  return (spin_budget){max < SPIN_FLOOR_NS ? max : SPIN_FLOOR_NS, max, max};
}

void spin_on_request(spin_budget *s, uint64_t gap_ns) {
  if (gap_ns <= s->max_ns)
    s->cur_ns = s->max_ns;
}

void spin_on_miss(spin_budget *s) {
  s->cur_ns = s->cur_ns / 2 < s->min_ns ? s->min_ns : s->cur_ns / 2;
}
