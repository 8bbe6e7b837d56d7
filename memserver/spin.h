/* The busy-poll budget of a worker: how long it keeps polling without sleeping after activity.
 * It is --spin-us whenever requests come within --spin-us of each other (whether the worker was
 * still spinning or had just gone to sleep: a full spin would have caught the request), and halves
 * each time a spin ends in vain, never below 10 us. A client that sends its next request soon
 * after each reply gets the full spin; one that pauses longer than --spin-us stops paying for
 * spins that never catch anything. */
#ifndef FARMEMD_SPIN_H
#define FARMEMD_SPIN_H

#include <stdint.h>

typedef struct spin_budget {
  uint64_t min_ns, max_ns, cur_ns;
} spin_budget;

spin_budget spin_init(unsigned spin_us);
/* A request arrived gap_ns after the previous one. */
void spin_on_request(spin_budget *s, uint64_t gap_ns);
/* A spin ended without a request. */
void spin_on_miss(spin_budget *s);

#endif
