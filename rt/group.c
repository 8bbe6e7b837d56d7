/* Small-object groups: allocations of up to 128 bytes are packed, FAR_GROUP of one size class at a
 * time, into one larger far object (a "group"), so the object table holds one 8-byte entry per group
 * instead of one per small object. Why: an entry per 32-byte object is a quarter of the far working
 * set, and under random access nearly every table page keeps some present entry, so that metadata
 * would stay local however cold the objects are (docs/runtime.md, "Metadata residency").
 *
 * A small object's address is an interior address of its group (class s + log2(FAR_GROUP)), so the
 * barriers need no change. Groups take the upper half of their class's id space (ids from
 * FAR_GROUP_ID_BASE), which makes the slot size a function of the address alone: no per-group byte
 * says what a group holds. Per group the heap keeps one bit per slot (allocated or not), which also
 * catches double frees. Groups with a free slot sit on a stack per size class; allocation takes the
 * top one, a free that makes a full group usable again pushes it, so each non-full group is listed
 * exactly once. Groups stay allocated on the server once made; their freed slots are reused. A
 * reused slot is zeroed through a write barrier (the program's own first access would have fetched
 * its group anyway); slots of the newest group beyond its high-water mark are zero already.
 *
 * far_malloc_hot places a small object in a "hot" group instead: one per size class, made fresh and
 * filled only by such allocations, never listed for ordinary ones while it is being filled. A data
 * structure moves an object it found far away and expects to use again (the hashtable, on a miss)
 * into it, so objects used recently share groups and are kept or evicted together, instead of each
 * dragging 31 unrelated group-mates in on a miss. A slot freed in the hot group being filled goes
 * back to hot allocations; once full, the group is an ordinary one. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "core.h"
#include "support.h"

#define SMALL_MIN FAR_HEAP_CLASS_MIN
#define SMALL_MAX 7 /* 128 B */
#define NSMALL (SMALL_MAX - SMALL_MIN + 1)
#define MAX_GROUPS (FAR_GROUP_ID_BASE) /* per size class: the upper half of the id space */

static unsigned shift; /* log2 of objects per group; 0: grouping off */

static struct small_class {
  pthread_mutex_t lock;
  uint32_t *used;           /* per group, bit i: slot i allocated (a reservation, committed as used) */
  uint64_t ngroups;         /* groups made so far */
  uint64_t newest, fresh_from; /* slots of the newest group from fresh_from on were never handed out */
  uint64_t *partial;        /* groups with a free slot; allocation takes the top */
  size_t npartial, cap;
  bool has_hot;             /* hot: the group far_malloc_hot fills (not on the partial stack) */
  uint64_t hot, hot_fresh_from; /* its slots from hot_fresh_from on were never handed out */
} small[NSMALL];

void far_group_init(unsigned per_group) {
  while ((1u << shift) < per_group) shift++;
  if (!shift) return;
  for (int i = 0; i < NSMALL; i++) {
    pthread_mutex_init(&small[i].lock, NULL);
    small[i].used = mmap(NULL, MAX_GROUPS * sizeof(uint32_t), PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (small[i].used == MAP_FAILED) far_fatal("cannot reserve address space for the small-object groups");
  }
}

bool far_group_wants(unsigned cls) { return shift && cls <= SMALL_MAX; }

bool far_group_holds(uintptr_t a, unsigned *slot_cls) {
  unsigned cls = far_addr_class(a);
  if (!shift || cls < SMALL_MIN + shift || cls > SMALL_MAX + shift || far_addr_id(a) < FAR_GROUP_ID_BASE)
    return false;
  *slot_cls = cls - shift;
  return true;
}

static void push_partial(struct small_class *k, uint64_t group) {
  if (k->npartial == k->cap) {
    __atomic_store_n(&k->cap, k->cap ? 2 * k->cap : 256, __ATOMIC_RELAXED); /* read by the stats */
    k->partial = realloc(k->partial, k->cap * sizeof *k->partial);
    if (!k->partial) far_fatal("out of memory for the small-object groups");
  }
  k->partial[k->npartial++] = group;
}

static uint32_t full_mask(void) { return (uint32_t)((1ull << (1u << shift)) - 1); }

/* Makes a new group of class k (class lock held): false when the class has no ids left. */
static bool make_group(struct small_class *k, uint64_t *group) {
  if (k->ngroups == MAX_GROUPS) return false;
  *group = k->ngroups;
  __atomic_store_n(&k->ngroups, k->ngroups + 1, __ATOMIC_RELAXED);
  return true;
}

/* Marks the lowest free slot of group used and returns it. *fresh_from (NULL: the group is not
 * tracked) counts the group's slots never handed out; *zero: this slot is one of them. */
static long claim_lowest(struct small_class *k, uint64_t group, uint64_t *fresh_from, bool *zero) {
  uint32_t w = k->used[group];
  long slot = __builtin_ctz(~w);
  k->used[group] = w | 1u << slot;
  *zero = fresh_from && (uint64_t)slot >= *fresh_from;
  if (*zero) *fresh_from = (uint64_t)slot + 1;
  return slot;
}

/* Takes a slot of class cls under the class lock: sets *group, returns the slot, or -1 when the
 * class has no groups left. *fresh: the group was just made; *zero: the slot was never used. */
static long take_slot(struct small_class *k, uint64_t *group, bool *fresh, bool *zero) {
  *fresh = k->npartial == 0;
  if (*fresh) {
    if (!make_group(k, &k->newest)) return -1;
    k->fresh_from = 0;
    push_partial(k, k->newest);
  }
  *group = k->partial[k->npartial - 1];
  long slot = claim_lowest(k, *group, *group == k->newest ? &k->fresh_from : NULL, zero);
  if (k->used[*group] == full_mask()) k->npartial--;
  return slot;
}

/* The same for far_malloc_hot: a slot of the hot group, which is made anew when full (or none). */
static long take_hot_slot(struct small_class *k, uint64_t *group, bool *fresh, bool *zero) {
  *fresh = !k->has_hot || k->used[k->hot] == full_mask();
  if (*fresh) {
    if (!make_group(k, &k->hot)) return -1;
    k->hot_fresh_from = 0;
    k->has_hot = true;
  }
  *group = k->hot;
  return claim_lowest(k, *group, &k->hot_fresh_from, zero);
}

/* A zeroed slot of class cls: from the hot group when hot, else from the top of the stack. */
static void *group_alloc(unsigned cls, bool hot) {
  struct small_class *k = &small[cls - SMALL_MIN];
  unsigned gcls = cls + shift;
  uint64_t group;
  bool fresh, zero;
  pthread_mutex_lock(&k->lock);
  long slot = hot ? take_hot_slot(k, &group, &fresh, &zero) : take_slot(k, &group, &fresh, &zero);
  if (slot >= 0 && fresh) far_heap_mark_fresh(gcls, FAR_GROUP_ID_BASE + group, 1); /* before any use */
  pthread_mutex_unlock(&k->lock);
  if (slot < 0) return NULL;
  void *p = (void *)(far_addr_make(gcls, FAR_GROUP_ID_BASE + group) + ((uintptr_t)slot << cls));
  if (!zero) far_memset(p, 0, (size_t)1 << cls);
  return p;
}

void *far_group_alloc(unsigned cls) { return group_alloc(cls, false); }

void *far_malloc_hot(size_t n) {
  far_init();
  unsigned cls = SMALL_MIN;
  while (cls <= SMALL_MAX && ((size_t)1 << cls) < n) cls++;
  if (!far_group_wants(cls)) return far_malloc(n); /* not small, or grouping is off */
  void *p = group_alloc(cls, true);
  if (!p) errno = ENOMEM;
  return p;
}

/* With the class lock held: frees the slot at a (a grouped address of class k); false when it is
 * not an allocated slot's start. */
static bool free_locked(struct small_class *k, uintptr_t a, unsigned cls) {
  size_t within = far_addr_within(a);
  uint64_t group = far_addr_id(a) - FAR_GROUP_ID_BASE;
  if (within & (((size_t)1 << cls) - 1) || group >= MAX_GROUPS) return false;
  uint32_t bit = 1u << (within >> cls), full = full_mask();
  uint32_t w = group < k->ngroups ? k->used[group] : 0;
  if (!(w & bit)) return false;
  k->used[group] = w & ~bit;
  if (w == full && !(k->has_hot && group == k->hot)) push_partial(k, group);
  return true;
}

/* A group that lost a slot is not a ghost any more (its coming back says nothing of the freed
 * object's use). */
static void forget(uintptr_t a, unsigned cls) { far_evac_forget(cls + shift, far_addr_id(a)); }

/* Frees the slot at a (a grouped address); false when it is not an allocated slot's start. */
bool far_group_free(uintptr_t a, unsigned cls) {
  struct small_class *k = &small[cls - SMALL_MIN];
  pthread_mutex_lock(&k->lock);
  bool ok = free_locked(k, a, cls);
  pthread_mutex_unlock(&k->lock);
  if (ok) forget(a, cls);
  return ok;
}

/* Frees p[0..n) when they are small objects of class cls, under one taking of the class lock; returns
 * how many it freed (the first that is not an allocated slot's start stops it, so that far_free
 * reports it). */
static size_t free_run(void *const *p, size_t n, unsigned cls) {
  struct small_class *k = &small[cls - SMALL_MIN];
  size_t done = 0;
  unsigned c;
  pthread_mutex_lock(&k->lock);
  while (done < n && far_is_far(p[done]) && far_group_holds((uintptr_t)p[done], &c) && c == cls &&
         free_locked(k, (uintptr_t)p[done], cls))
    done++;
  pthread_mutex_unlock(&k->lock);
  for (size_t i = 0; i < done; i++) forget((uintptr_t)p[i], cls);
  return done;
}

/* far_free of n objects, for a batch of small ones (a hashtable batch frees the old copies of the
 * entries it regrouped). The slot bits of groups made over a large table are scattered over a
 * bitmap of megabytes, so each free of a small object starts with a cache (and TLB) miss on its
 * group's word: the words of all n are asked for first, so those misses overlap, and consecutive
 * objects of one size class are freed under one taking of its lock. (At 25%, webfront's request
 * thread spent 5-10% of its time in these misses and locks, one free after another.) */
void far_free_many(void *const *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned cls;
    if (!far_is_far(p[i]) || !far_group_holds((uintptr_t)p[i], &cls)) continue;
    uint64_t group = far_addr_id((uintptr_t)p[i]) - FAR_GROUP_ID_BASE;
    if (group < MAX_GROUPS) __builtin_prefetch(&small[cls - SMALL_MIN].used[group], 1);
  }
  for (size_t i = 0; i < n;) {
    unsigned cls;
    size_t done = far_is_far(p[i]) && far_group_holds((uintptr_t)p[i], &cls) ? free_run(p + i, n - i, cls) : 0;
    if (!done) far_free(p[i]); /* not small, or not a live slot: far_free frees or reports it */
    i += done ? done : 1;
  }
}

/* The slot bits and the stacks (an upper bound: whole pages of the bits). */
size_t far_group_meta_bytes(void) {
  size_t total = 0;
  for (int i = 0; shift && i < NSMALL; i++) {
    size_t groups = __atomic_load_n(&small[i].ngroups, __ATOMIC_RELAXED);
    size_t cap = __atomic_load_n(&small[i].cap, __ATOMIC_RELAXED);
    total += (groups * sizeof(uint32_t) + 4095) / 4096 * 4096 + cap * sizeof(uint64_t);
  }
  return total;
}
