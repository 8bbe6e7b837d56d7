/* Helpers shared by the runtime tests: deterministic byte patterns, byte-for-byte checks through
 * the barriers, the budget setting, and memory measurements. */
#ifndef RT_TEST_H
#define RT_TEST_H

#include <check.h>
#include <stddef.h>
#include <stdint.h>

#include "far/rt.h"

/* Sets FAR_LOCAL_MEM (call before the first far_malloc of the test process). */
void rt_budget(const char *size);
/* 1 when FARMEM_STRESS asks for the long variants. */
int rt_stress(void);
/* The byte pattern of far byte i of buffer seed, version v. */
static inline uint8_t rt_byte(uint64_t seed, uint64_t i, uint64_t v) {
  uint64_t x = (seed * 0x9E3779B97F4A7C15ull) ^ (i * 0xBF58476D1CE4E5B9ull) ^ (v * 0x94D049BB133111EBull);
  x ^= x >> 31;
  return (uint8_t)(x ^ (x >> 17));
}
/* Writes / verifies n pattern bytes at far address p (through barriers, one scope per object). */
void rt_fill(char *p, size_t n, uint64_t seed, uint64_t v);
void rt_verify(const char *p, size_t n, uint64_t seed, uint64_t v);
/* Peak resident set (VmHWM) and current RSS in bytes. */
size_t rt_peak_rss(void);
size_t rt_rss(void);
/* Adds test t as a test case of its own (so CK_RUN_CASE=t runs it alone); no check timeout, ctest's
 * applies. */
#define rt_add(s, t) rt_add_case(s, #t, t, -1)
#define rt_add_exit(s, t, status) rt_add_case(s, #t, t, status)
void rt_add_case(Suite *s, const char *name, const TTest *t, int exit_status);
/* Runs the suite that add fills; returns the exit status. */
int rt_run(const char *name, void (*add)(Suite *));

#endif
