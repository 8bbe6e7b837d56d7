/* The vector operations of far/ds/vec_ops.h as plain C over local buffers, and the argument format
 * of their offloaded form. One copy of each computation serves both sides: farmem's offload module
 * (memserver/offload_vec.c, inside farmemd) runs these kernels over the chunks it reads from the
 * store, and the ds headers run the same kernels over chunks they read through the runtime (when
 * offloading is unavailable, and in FARDS_LOCAL builds), so the two results are equal by
 * construction. Depends only on the C library.
 *
 * Semantics (element types: 8/16/32/64-bit signed and unsigned integers, float, double):
 *   sum       integers: wrapping 64-bit sum (signed types as int64); float/double: a double
 *             accumulated in element order
 *   min/max   by the total order below
 *   count_if  elements x with (x CMP value), compared as int64, uint64 or double
 *   filter    those elements, in order
 *   unique    the distinct elements in ascending total order
 *   sort_indices  indices ordering the elements ascending (ties by index: stable)
 *   median    the element at rank (n - 1) / 2 of the ascending order (the lower median)
 *   gather    out[i] = v[idx[i]]; every index must be below the length
 * Total order: integers as usual; floats by IEEE totalOrder (-NaN < -inf < ... < -0.0 < +0.0 < ...
 * < inf < NaN), which makes every result deterministic. */
#ifndef FAR_DS_VEC_KERNELS_H
#define FAR_DS_VEC_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum fards_type {
  FARDS_T_I8 = 1, FARDS_T_I16, FARDS_T_I32, FARDS_T_I64,
  FARDS_T_U8, FARDS_T_U16, FARDS_T_U32, FARDS_T_U64,
  FARDS_T_F32, FARDS_T_F64,
  FARDS_T_END
};

/* The type code of an arithmetic type T (a constant expression). */
#define FARDS_TYPE_OF(T)                                                                          \
  ((T)0.5 * 2 == (T)1 ? (sizeof(T) == 4 ? FARDS_T_F32 : FARDS_T_F64)                              \
   : (T)-1 < (T)0     ? (sizeof(T) == 1 ? FARDS_T_I8 : sizeof(T) == 2 ? FARDS_T_I16               \
                         : sizeof(T) == 4 ? FARDS_T_I32 : FARDS_T_I64)                            \
                      : (sizeof(T) == 1 ? FARDS_T_U8 : sizeof(T) == 2 ? FARDS_T_U16               \
                         : sizeof(T) == 4 ? FARDS_T_U32 : FARDS_T_U64))

/* Comparisons for count_if and filter. */
enum fards_cmp { FARDS_EQ = 1, FARDS_NE, FARDS_LT, FARDS_LE, FARDS_GT, FARDS_GE, FARDS_CMP_END };

/* A value widened from an element: int64 for signed types, uint64 for unsigned, double for floats. */
typedef union fards_wide {
  int64_t i;
  uint64_t u;
  double d;
} fards_wide;

static inline size_t fards_type_size(int t) {
  static const unsigned char size[FARDS_T_END] = {0, 1, 2, 4, 8, 1, 2, 4, 8, 4, 8};
  return t > 0 && t < FARDS_T_END ? size[t] : 0;
}
static inline int fards_type_float(int t) { return t == FARDS_T_F32 || t == FARDS_T_F64; }
static inline int fards_type_signed(int t) { return t >= FARDS_T_I8 && t <= FARDS_T_I64; }

/* Element p of type t, widened. */
static inline fards_wide fards_load_wide(int t, const void *p) {
  fards_wide w;
  switch (t) {
  case FARDS_T_I8: { int8_t x; memcpy(&x, p, 1); w.i = x; break; }
  case FARDS_T_I16: { int16_t x; memcpy(&x, p, 2); w.i = x; break; }
  case FARDS_T_I32: { int32_t x; memcpy(&x, p, 4); w.i = x; break; }
  case FARDS_T_U8: { uint8_t x; memcpy(&x, p, 1); w.u = x; break; }
  case FARDS_T_U16: { uint16_t x; memcpy(&x, p, 2); w.u = x; break; }
  case FARDS_T_U32: { uint32_t x; memcpy(&x, p, 4); w.u = x; break; }
  case FARDS_T_F32: { float x; memcpy(&x, p, 4); w.d = x; break; }
  default: memcpy(&w, p, 8); break; /* I64, U64, F64 */
  }
  return w;
}

/* Narrows w back into an element of type t at p. */
static inline void fards_store_wide(int t, void *p, fards_wide w) {
  switch (t) {
  case FARDS_T_I8: case FARDS_T_U8: { uint8_t x = (uint8_t)w.u; memcpy(p, &x, 1); break; }
  case FARDS_T_I16: case FARDS_T_U16: { uint16_t x = (uint16_t)w.u; memcpy(p, &x, 2); break; }
  case FARDS_T_I32: case FARDS_T_U32: { uint32_t x = (uint32_t)w.u; memcpy(p, &x, 4); break; }
  case FARDS_T_F32: { float x = (float)w.d; memcpy(p, &x, 4); break; }
  default: memcpy(p, &w, 8); break;
  }
}

/* An order-preserving unsigned key for element p (the total order above). */
static inline uint64_t fards_sort_key(int t, const void *p) {
  fards_wide w = fards_load_wide(t, p);
  if (fards_type_signed(t))
    return w.u ^ (1ull << 63);
  if (!fards_type_float(t))
    return w.u;
  uint64_t b;
  if (t == FARDS_T_F32) { /* widening keeps the order, but NaN payloads would not survive it */
    uint32_t f;
    memcpy(&f, p, 4);
    b = (uint64_t)f << 32;
  } else {
    memcpy(&b, p, 8);
  }
  return (b >> 63) ? ~b : b | (1ull << 63);
}

/* x CMP value, with x and value widened for type t. */
static inline int fards_compare(int t, fards_wide x, int cmp, fards_wide v) {
  int lt, eq;
  if (fards_type_float(t)) {
    if (x.d != x.d || v.d != v.d) /* NaN: only != holds */
      return cmp == FARDS_NE;
    lt = x.d < v.d, eq = x.d == v.d;
  } else if (fards_type_signed(t)) {
    lt = x.i < v.i, eq = x.i == v.i;
  } else {
    lt = x.u < v.u, eq = x.u == v.u;
  }
  switch (cmp) {
  case FARDS_EQ: return eq;
  case FARDS_NE: return !eq;
  case FARDS_LT: return lt;
  case FARDS_LE: return lt || eq;
  case FARDS_GT: return !lt && !eq;
  default: return !lt; /* FARDS_GE */
  }
}

/* ---- Aggregates, fed one piece of elements at a time ---- */

enum fards_agg { FARDS_SUM = 1, FARDS_MIN, FARDS_MAX, FARDS_COUNT_IF };

struct fards_acc {
  int agg, type, cmp;
  fards_wide value;  /* count_if's comparand */
  uint64_t n;        /* elements seen (count_if: elements that matched) */
  fards_wide result; /* sum (widened), or the min/max element's bytes */
  uint64_t best;     /* min/max: the sort key of result */
};

static inline void fards_acc_init(struct fards_acc *a, int agg, int type, int cmp, fards_wide value) {
  memset(a, 0, sizeof *a);
  a->agg = agg, a->type = type, a->cmp = cmp, a->value = value;
}

/* Elements of a sum, by type: integer sums wrap in uint64, floats add in double, in order. */
#define FARDS_SUM_LOOP_(CT, ACC, OP)                                                               \
  do {                                                                                            \
    const CT *e_ = (const CT *)p;                                                                 \
    for (size_t k_ = 0; k_ < n; k_++)                                                             \
      ACC OP e_[k_];                                                                              \
  } while (0)

static inline void fards_acc_sum(struct fards_acc *a, const void *p, size_t n) {
  uint64_t u = a->result.u;
  double d = a->result.d;
  switch (a->type) {
  case FARDS_T_I8: FARDS_SUM_LOOP_(int8_t, u, += (uint64_t)(int64_t)); break;
  case FARDS_T_I16: FARDS_SUM_LOOP_(int16_t, u, += (uint64_t)(int64_t)); break;
  case FARDS_T_I32: FARDS_SUM_LOOP_(int32_t, u, += (uint64_t)(int64_t)); break;
  case FARDS_T_I64: FARDS_SUM_LOOP_(int64_t, u, += (uint64_t)); break;
  case FARDS_T_U8: FARDS_SUM_LOOP_(uint8_t, u, +=); break;
  case FARDS_T_U16: FARDS_SUM_LOOP_(uint16_t, u, +=); break;
  case FARDS_T_U32: FARDS_SUM_LOOP_(uint32_t, u, +=); break;
  case FARDS_T_U64: FARDS_SUM_LOOP_(uint64_t, u, +=); break;
  case FARDS_T_F32: FARDS_SUM_LOOP_(float, d, += (double)); break;
  default: FARDS_SUM_LOOP_(double, d, +=); break;
  }
  if (fards_type_float(a->type))
    a->result.d = d;
  else
    a->result.u = u;
}

/* Adds n elements at p (of the accumulator's type) to the aggregate. */
static inline void fards_acc_add(struct fards_acc *a, const void *p, size_t n) {
  size_t es = fards_type_size(a->type);
  const char *c = (const char *)p;
  if (a->agg == FARDS_SUM) {
    fards_acc_sum(a, p, n);
    a->n += n;
    return;
  }
  for (size_t k = 0; k < n; k++, c += es) {
    if (a->agg == FARDS_COUNT_IF) {
      a->n += (uint64_t)fards_compare(a->type, fards_load_wide(a->type, c), a->cmp, a->value);
      continue;
    }
    uint64_t key = fards_sort_key(a->type, c);
    if (a->n++ == 0 || (a->agg == FARDS_MIN ? key < a->best : key > a->best)) {
      a->best = key;
      a->result.u = 0;
      memcpy(&a->result, c, es); /* the element's own bytes: no rounding through a wider type */
    }
  }
}

/* ---- Whole-vector kernels (on a local copy) ---- */

/* Keeps the elements x of buf[0..n) with (x CMP value), in order, at the front; returns how many. */
static inline size_t fards_filter(int t, int cmp, fards_wide value, void *buf, size_t n) {
  size_t es = fards_type_size(t), kept = 0;
  char *b = (char *)buf;
  for (size_t k = 0; k < n; k++)
    if (fards_compare(t, fards_load_wide(t, b + k * es), cmp, value))
      memmove(b + kept++ * es, b + k * es, es);
  return kept;
}

struct fards_keyed {
  uint64_t key, index;
};

static inline int fards_keyed_cmp(const void *a, const void *b) {
  const struct fards_keyed *x = (const struct fards_keyed *)a, *y = (const struct fards_keyed *)b;
  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/* The elements of buf[0..n) as (sort key, index) pairs sorted ascending; NULL when out of memory. */
static inline struct fards_keyed *fards_sorted_keys(int t, const void *buf, size_t n) {
  size_t es = fards_type_size(t);
  struct fards_keyed *k = (struct fards_keyed *)malloc((n ? n : 1) * sizeof *k);
  if (!k)
    return NULL;
  for (size_t i = 0; i < n; i++)
    k[i] = (struct fards_keyed){fards_sort_key(t, (const char *)buf + i * es), i};
  qsort(k, n, sizeof *k, fards_keyed_cmp);
  return k;
}

/* Sorted distinct elements of buf[0..n), in place at its front; returns how many, or SIZE_MAX when
 * out of memory. */
static inline size_t fards_unique(int t, void *buf, size_t n) {
  size_t es = fards_type_size(t), kept = 0;
  struct fards_keyed *k = fards_sorted_keys(t, buf, n);
  char *copy = (char *)malloc(n * es + 1);
  if (!k || !copy) {
    free(k);
    free(copy);
    return SIZE_MAX;
  }
  memcpy(copy, buf, n * es);
  for (size_t i = 0; i < n; i++)
    if (i == 0 || k[i].key != k[i - 1].key)
      memcpy((char *)buf + kept++ * es, copy + k[i].index * es, es);
  free(k);
  free(copy);
  return kept;
}

/* idx[0..n) = the indices ordering buf[0..n) ascending (stable). 0, or -1 when out of memory. */
static inline int fards_sort_indices(int t, const void *buf, size_t n, uint64_t *idx) {
  struct fards_keyed *k = fards_sorted_keys(t, buf, n);
  if (!k)
    return -1;
  for (size_t i = 0; i < n; i++)
    idx[i] = k[i].index;
  free(k);
  return 0;
}

/* The lower median of buf[0..n) (n >= 1) into *out (an element). 0, or -1 when out of memory. */
static inline int fards_median(int t, const void *buf, size_t n, void *out) {
  struct fards_keyed *k = fards_sorted_keys(t, buf, n);
  if (!k)
    return -1;
  size_t es = fards_type_size(t);
  memcpy(out, (const char *)buf + k[(n - 1) / 2].index * es, es);
  free(k);
  return 0;
}

/* ---- The offloaded form: argument and result layouts (host byte order; farmem is x86-64 only) ----
 *
 * Function names: "farmem.vec.sum", ".min", ".max", ".count_if", ".median" (aggregates), and
 * ".filter", ".unique", ".gather", ".sort_indices" (they write an output vector the client
 * allocated). Arguments: a struct fards_off_hdr, then `nrefs` vectors, each a struct fards_off_ref
 * followed by its nruns struct fards_off_run: input first, then gather's index vector (type U64),
 * then the output vector (nothing for aggregates). A vector's chunks are far objects of class cls,
 * 2^cls / element size elements each, listed in order as runs of consecutive ids.
 * Result: struct fards_off_result. */
#define FARDS_OFF_MAGIC 0x31564f46u /* "FOV1" */
#define FARDS_OFF_MAX_BYTES (4ull << 30) /* most chunk bytes one vector of a call may span */
#define FARDS_OFF_MAX_CHUNKS (1u << 24)
/* Most elements median, unique and sort_indices take (they sort a copy: 24 bytes per element). */
#define FARDS_OFF_MAX_SORT (1u << 26)

struct fards_off_hdr {
  uint32_t magic;
  uint8_t cmp, nrefs, pad_[2];
  fards_wide value; /* count_if / filter comparand */
};

struct fards_off_ref {
  uint8_t type, cls, pad_[2];
  uint32_t nruns;
  uint64_t len; /* elements (output vectors: their capacity) */
};

struct fards_off_run {
  uint64_t first, count;
};

struct fards_off_result {
  uint64_t n;       /* aggregates: elements seen (count_if: matched; 0 = empty); others: output length */
  fards_wide value; /* sum (widened); min, max, median: the element's bytes */
};

#endif
