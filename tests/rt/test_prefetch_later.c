/* far_prefetch_objects_later: prefetches queued on a thread leave together in one request once 32
 * are queued, at far_prefetch_flush (or far_prefetch_flush_to a mark they are not newer than), or
 * when the thread needs an object that is not local; queued
 * objects are hints only (another thread reads one on demand, the queue then skips it); a window
 * of 64 is never exceeded; one coalesced request completes the waits of several threads; the
 * thread reads its queue's replies itself (lazy requests); far_prefetch_objects_shared joins a
 * queue or leaves alone; far_prefetch_objects_later_nt lands in the non-temporal region. */
#include <pthread.h>
#include <unistd.h>

#include "core.h"
#include "rt_test.h"

#define OBJ 4096
#define COUNT 160

static char *obj[COUNT];

/* COUNT objects written, then sent to the server and dropped locally: each is remote. */
static void remote_objects(void) {
  rt_budget("8M");
  for (int i = 0; i < COUNT; i++) {
    rt_fill(obj[i] = far_malloc(OBJ), OBJ, (uint64_t)i, 0);
    far_flush_range(obj[i], OBJ);
    far_mark_remote(obj[i], OBJ);
    ck_assert(!far_is_resident(obj[i]));
  }
}

static uint64_t requests(void) { return far_stats().c.prefetch_requests; }
static uint64_t issued(void) { return far_stats().c.prefetch_issued; }

static void queue(int from, int n) {
  far_prefetch_objects_later((const void *const *)&obj[from], (size_t)n);
}

/* Waits (up to 10 s) until objects [from, from + n) are all local. */
static void await_resident(int from, int n) {
  for (int tries = 0; tries < 10000; tries++) {
    int all = 1;
    for (int i = from; i < from + n && all; i++) all = far_is_resident(obj[i]);
    if (all) return;
    usleep(1000);
  }
  ck_abort_msg("objects %d..%d were prefetched but did not arrive", from, from + n - 1);
}

START_TEST(a_queue_leaves_in_one_request_at_32) {
  remote_objects();
  uint64_t r0 = requests(), i0 = issued();
  queue(0, 20);
  ck_assert_uint_eq(requests(), r0); /* queued only */
  ck_assert_uint_eq(issued(), i0);
  ck_assert(!far_is_resident(obj[0]));
  queue(20, 12);
  ck_assert_uint_eq(requests(), r0 + 1);
  ck_assert_uint_eq(issued(), i0 + 32);
  await_resident(0, 32);
  uint64_t m0 = far_stats().c.miss;
  for (int i = 0; i < 32; i++) rt_verify(obj[i], OBJ, (uint64_t)i, 0);
  ck_assert_uint_eq(far_stats().c.miss, m0);
}
END_TEST

START_TEST(flush_sends_the_queue_and_an_empty_flush_nothing) {
  remote_objects();
  uint64_t r0 = requests();
  far_prefetch_flush();
  ck_assert_uint_eq(requests(), r0);
  queue(0, 5);
  far_prefetch_flush();
  ck_assert_uint_eq(requests(), r0 + 1);
  far_prefetch_flush();
  ck_assert_uint_eq(requests(), r0 + 1);
  await_resident(0, 5);
}
END_TEST

/* far_prefetch_flush_to(mark) sends the queue only when it holds objects of call `mark` or earlier
 * (calls are counted per thread by far_prefetch_queue_mark), and then all of it. */
START_TEST(flush_to_sends_only_a_queue_old_enough) {
  remote_objects();
  uint64_t r0 = requests(), m0 = far_prefetch_queue_mark();
  queue(0, 2);
  queue(2, 0); /* a call with nothing to fetch still counts */
  queue(2, 2);
  ck_assert_uint_eq(far_prefetch_queue_mark(), m0 + 3);
  far_prefetch_flush_to(m0);
  ck_assert_uint_eq(requests(), r0);
  far_prefetch_flush_to(m0 + 1);
  ck_assert_uint_eq(requests(), r0 + 1);
  await_resident(0, 4);
  queue(4, 1); /* call m0 + 4: newer than any mark below */
  far_prefetch_flush_to(m0 + 3);
  ck_assert_uint_eq(requests(), r0 + 1);
  far_prefetch_flush_to(m0 + 4);
  ck_assert_uint_eq(requests(), r0 + 2);
  await_resident(4, 1);
}
END_TEST

/* The thread's own access to a queued object sends the whole queue: no demand miss of its own. */
START_TEST(an_access_sends_the_queue) {
  remote_objects();
  uint64_t r0 = requests(), m0 = far_stats().c.miss;
  queue(0, 8);
  rt_verify(obj[3], OBJ, 3, 0);
  ck_assert_uint_eq(far_stats().c.miss, m0);
  ck_assert_uint_eq(requests(), r0 + 1);
  await_resident(0, 8);
  for (int i = 0; i < 8; i++) rt_verify(obj[i], OBJ, (uint64_t)i, 0);
  ck_assert_uint_eq(far_stats().c.miss, m0);
}
END_TEST

/* A demand miss of an object that is not queued sends the queue too, before its own round trip. */
START_TEST(a_miss_elsewhere_sends_the_queue) {
  remote_objects();
  uint64_t r0 = requests(), m0 = far_stats().c.miss;
  queue(0, 4);
  rt_verify(obj[100], OBJ, 100, 0);
  ck_assert_uint_eq(far_stats().c.miss, m0 + 1);
  ck_assert_uint_eq(requests(), r0 + 1);
  await_resident(0, 4);
}
END_TEST

static void *read_one(void *arg) {
  int i = (int)(intptr_t)arg;
  rt_verify(obj[i], OBJ, (uint64_t)i, 0);
  return NULL;
}

/* Queued objects are not claimed: another thread fetches one on demand meanwhile, and the flush
 * then asks only for the others. */
START_TEST(a_queued_object_stays_a_hint) {
  remote_objects();
  uint64_t i0 = issued();
  queue(0, 8);
  pthread_t t;
  pthread_create(&t, NULL, read_one, (void *)(intptr_t)2);
  pthread_join(t, NULL);
  ck_assert(far_is_resident(obj[2]));
  far_prefetch_flush();
  ck_assert_uint_eq(issued(), i0 + 7);
  await_resident(0, 8);
  for (int i = 0; i < 8; i++) rt_verify(obj[i], OBJ, (uint64_t)i, 0);
}
END_TEST

/* A queue leaves as a lazy request (the poller is not armed for it: tests/net/test_net_lazy.c);
 * the thread that then uses one of the objects reads the reply itself and installs every object
 * of it, and none of them misses. */
START_TEST(the_thread_reads_its_own_replies) {
  remote_objects();
  uint64_t r0 = requests(), m0 = far_stats().c.miss;
  queue(0, 32);
  ck_assert_uint_eq(requests(), r0 + 1);
  rt_verify(obj[31], OBJ, 31, 0);
  for (int i = 0; i < 32; i++) ck_assert(far_is_resident(obj[i])); /* the whole reply landed */
  for (int i = 0; i < 32; i++) rt_verify(obj[i], OBJ, (uint64_t)i, 0);
  ck_assert_uint_eq(far_stats().c.miss, m0);
}
END_TEST

/* 100 objects in one call: a full window of 64 leaves, then the 36 left (over 32). */
START_TEST(a_long_call_leaves_in_windows) {
  remote_objects();
  uint64_t r0 = requests(), i0 = issued();
  queue(0, 100);
  ck_assert_uint_eq(requests(), r0 + 2);
  ck_assert_uint_eq(issued(), i0 + 100);
  await_resident(0, 100);
}
END_TEST

/* One request carrying objects that 16 threads wait for: each wait completes with its data. */
START_TEST(one_request_completes_every_waiter) {
  remote_objects();
  uint64_t r0 = requests(), m0 = far_stats().c.miss;
  queue(40, 16);
  far_prefetch_flush();
  ck_assert_uint_eq(requests(), r0 + 1);
  pthread_t t[16];
  for (int i = 0; i < 16; i++) pthread_create(&t[i], NULL, read_one, (void *)(intptr_t)(40 + i));
  for (int i = 0; i < 16; i++) pthread_join(t[i], NULL);
  ck_assert_uint_eq(far_stats().c.miss, m0);
}
END_TEST

static int region_kind(const void *p) {
  const void *local = far_local_hint(p);
  ck_assert_ptr_nonnull(local);
  return far_region_of(local)->kind;
}

/* far_prefetch_objects_shared with objects queued: they and the queue leave in one request. */
START_TEST(shared_objects_join_the_queue) {
  remote_objects();
  uint64_t r0 = requests(), i0 = issued(), m0 = far_stats().c.miss;
  queue(0, 10);
  far_prefetch_objects_shared((const void *const *)&obj[50], 2);
  ck_assert_uint_eq(requests(), r0 + 1);
  ck_assert_uint_eq(issued(), i0 + 12);
  rt_verify(obj[51], OBJ, 51, 0); /* read by this thread: the reply is lazy */
  await_resident(0, 10);
  rt_verify(obj[50], OBJ, 50, 0);
  ck_assert_uint_eq(far_stats().c.miss, m0);
}
END_TEST

/* ... and with nothing queued they leave at once in a request of their own. */
START_TEST(shared_objects_alone_leave_at_once) {
  remote_objects();
  uint64_t r0 = requests(), m0 = far_stats().c.miss;
  far_prefetch_objects_shared((const void *const *)&obj[7], 3);
  ck_assert_uint_eq(requests(), r0 + 1);
  await_resident(7, 3); /* installed without this thread asking */
  for (int i = 7; i < 10; i++) rt_verify(obj[i], OBJ, (uint64_t)i, 0);
  ck_assert_uint_eq(far_stats().c.miss, m0);
}
END_TEST

/* Objects queued with far_prefetch_objects_later_nt leave with the others but land in the
 * non-temporal region; the others in a normal one. */
START_TEST(nt_queued_objects_land_in_the_nt_region) {
  remote_objects();
  uint64_t r0 = requests();
  queue(0, 4);
  far_prefetch_objects_later_nt((const void *const *)&obj[4], 4);
  far_prefetch_flush();
  ck_assert_uint_eq(requests(), r0 + 1);
  await_resident(0, 8);
  for (int i = 0; i < 8; i++) ck_assert_int_eq(region_kind(obj[i]), i < 4 ? FAR_REGION_NORMAL : FAR_REGION_NT);
  for (int i = 0; i < 8; i++) rt_verify(obj[i], OBJ, (uint64_t)i, 0);
}
END_TEST

static void add(Suite *s) {
  rt_add(s, shared_objects_join_the_queue);
  rt_add(s, shared_objects_alone_leave_at_once);
  rt_add(s, nt_queued_objects_land_in_the_nt_region);
  rt_add(s, a_queue_leaves_in_one_request_at_32);
  rt_add(s, flush_sends_the_queue_and_an_empty_flush_nothing);
  rt_add(s, flush_to_sends_only_a_queue_old_enough);
  rt_add(s, an_access_sends_the_queue);
  rt_add(s, a_miss_elsewhere_sends_the_queue);
  rt_add(s, a_queued_object_stays_a_hint);
  rt_add(s, a_long_call_leaves_in_windows);
  rt_add(s, one_request_completes_every_waiter);
  rt_add(s, the_thread_reads_its_own_replies);
}

int main(void) { return rt_run("prefetch_later", add); }
