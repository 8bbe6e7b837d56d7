/* Vector operations that run next to the data: sum, min, max, count_if, median, filter, unique,
 * gather and sort_indices over far arrays and vectors of arithmetic elements.
 *
 *   FAR_VECTOR_DECLARE(dvec, double)
 *   FAR_VECTOR_OPS_DECLARE(dvec, double)
 *   double total = dvec_sum(v);                       // computed inside farmemd
 *   size_t big = dvec_count_if(v, FARDS_GT, 100.0);
 *   dvec *hot = dvec_filter(v, FARDS_GT, 100.0);       // a new vector, filled by farmemd
 *   fards_idxvec *order = dvec_sort_indices(v);
 *
 * Each operation is offloaded to farmemd (farmem's vector module) when most of its input is not in
 * local memory (FARDS_OFFLOAD_MIN_REMOTE_PCT): the dirty chunks of the inputs are written back, the
 * server computes, and only the small result comes back; outputs are vectors the client allocates
 * and the server fills. Over mostly local data, and when offloading is unavailable (several
 * servers, a farmemd without the module, a FARDS_LOCAL build), the same computation runs locally,
 * through the cache; NAME_sum_local and the other _local twins always do. The kernels are shared with the
 * server (far/ds/vec_kernels.h), which also defines the semantics: integer sums wrap in 64 bits,
 * float sums add in element order in double, min/max/unique/median/sort use a total order (floats
 * by IEEE totalOrder, NaN largest). Concurrent writers to the same vector are the program's race. */
#ifndef FAR_DS_VEC_OPS_H
#define FAR_DS_VEC_OPS_H

#include <far/ds/vec_kernels.h>
#include <far/ds/vector.h>

/* Offload only when at least this percentage of the input chunks is not in local memory: over data
 * that is mostly local, the local computation is cheaper (no write-back of dirty chunks, no round
 * trip). 0: always offload when possible. The _local functions never offload. */
#ifndef FARDS_OFFLOAD_MIN_REMOTE_PCT
#define FARDS_OFFLOAD_MIN_REMOTE_PCT 50
#endif

/* Indices, as returned by sort_indices and taken by gather. */
FAR_VECTOR_DECLARE(fards_idxvec, uint64_t)

/* The type a sum of T is returned in: int64_t, uint64_t or double. */
#define FARDS_SUM_T(T)                                                                              \
  __typeof__(_Generic((T)0, float: (double)0, double: (double)0, _Bool: (uint64_t)0,                \
                      unsigned char: (uint64_t)0, unsigned short: (uint64_t)0,                      \
                      unsigned int: (uint64_t)0, unsigned long: (uint64_t)0,                        \
                      unsigned long long: (uint64_t)0, default: (int64_t)0))

/* What one call works on: the input, gather's indices, the output; and the predicate. */
struct fards_vop {
  const char *fn; /* offload function name */
  struct fards_seq *in, *idx, *out;
  struct fards_geom g, gi, go;
  int type, out_type, cmp, agg;
  fards_wide value;
};

/* ---- Local computation (also the FARDS_LOCAL build's only path) ---- */

static inline void fards_vop_agg_local(const struct fards_vop *op, struct fards_off_result *res) {
  struct fards_acc acc;
  struct fards_span sp;
  fards_acc_init(&acc, op->agg, op->type, op->cmp, op->value);
  fards_span_begin(&sp, op->in, 0, op->in->len, FARDS_CACHE, 0);
  while (fards_span_next(&sp, op->g))
    fards_acc_add(&acc, sp.local, sp.n);
  res->n = acc.n;
  res->value = acc.result;
}

/* All elements of s in one malloc'd local buffer; NULL when out of memory. */
static inline char *fards_vop_copy_all(struct fards_seq *s, struct fards_geom g) {
  char *buf = (char *)malloc(s->len * g.es + 1);
  if (buf)
    fards_seq_copy(s, 0, buf, s->len, g, FARDS_CACHE, 0);
  return buf;
}

static inline int fards_vop_median_local(const struct fards_vop *op, struct fards_off_result *res) {
  memset(res, 0, sizeof *res);
  res->n = op->in->len;
  if (!res->n)
    return 0;
  char *buf = fards_vop_copy_all(op->in, op->g);
  int rc = buf ? fards_median(op->type, buf, op->in->len, &res->value) : -1;
  free(buf);
  return rc;
}

/* The named operation's output, computed locally and appended to op->out. 0, or -1 (out of memory,
 * or gather's index out of range). */
static inline int fards_vop_output_local(const struct fards_vop *op) {
  char *buf = fards_vop_copy_all(op->in, op->g), *res = buf;
  size_t n = op->in->len;
  int rc = buf ? 0 : -1;
  if (rc == 0 && !strcmp(op->fn, "farmem.vec.filter")) {
    n = fards_filter(op->type, op->cmp, op->value, buf, n);
  } else if (rc == 0 && !strcmp(op->fn, "farmem.vec.unique")) {
    rc = (n = fards_unique(op->type, buf, n)) == SIZE_MAX ? -1 : 0;
  } else if (rc == 0 && !strcmp(op->fn, "farmem.vec.sort_indices")) {
    uint64_t *idx = (uint64_t *)malloc(n * sizeof *idx + 1);
    rc = idx && fards_sort_indices(op->type, buf, n, idx) == 0 ? 0 : -1;
    res = (char *)idx;
  } else if (rc == 0) { /* gather */
    uint64_t *idx = (uint64_t *)fards_vop_copy_all(op->idx, op->gi);
    res = (char *)malloc(op->idx->len * op->g.es + 1);
    n = op->idx->len;
    rc = idx && res ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
      if (idx[i] >= op->in->len)
        rc = -1;
      else
        memcpy(res + i * op->g.es, buf + idx[i] * op->g.es, op->g.es);
    free(idx);
  }
  if (rc == 0)
    rc = fards_seq_append(op->out, res, n, op->go);
  if (res != buf)
    free(res);
  free(buf);
  return rc;
}

/* ---- Offloaded computation ---- */

#ifndef FARDS_LOCAL
/* Appends the reference to chunks [0, nchunks) of s (runs of consecutive ids) to the argument
 * buffer, and the chunks' far ranges to *ranges. Returns the new argument length, or 0 when a chunk
 * is not one far object of its own. */
static inline size_t fards_vop_put_ref(char *args, size_t at, const struct fards_seq *s, uint64_t len,
                                       int type, struct fards_geom g, struct far_range *ranges,
                                       size_t *nranges) {
  size_t nchunks = len / g.per + (len % g.per != 0), head = at;
  if (!at) /* an earlier reference failed */
    return 0;
  struct fards_off_ref ref = {(uint8_t)type, 0, {0, 0}, 0, len};
  at += sizeof ref;
  for (size_t c = 0; c < nchunks; c++) {
    uintptr_t a = (uintptr_t)s->chunk[c];
    unsigned cls = (unsigned)((a >> FAR_ADDR_CLASS_SHIFT) & 31);
    struct fards_off_run run = {(a & FAR_ADDR_OFFSET_MASK) >> cls, 1};
    if (((size_t)1 << cls) != g.cb || (a & (g.cb - 1)))
      return 0; /* a chunk that is not a whole object of its own: not offloadable */
    ref.cls = (uint8_t)cls;
    if (ref.nruns) {
      struct fards_off_run last;
      memcpy(&last, args + at - sizeof last, sizeof last);
      if (last.first + last.count == run.first) {
        last.count++;
        memcpy(args + at - sizeof last, &last, sizeof last);
        ranges[*nranges - 1].len += g.cb;
        continue;
      }
    }
    memcpy(args + at, &run, sizeof run);
    at += sizeof run;
    ref.nruns++;
    ranges[(*nranges)++] = (struct far_range){s->chunk[c], g.cb};
  }
  if (!nchunks)
    ref.cls = (uint8_t)(31 - __builtin_clz((unsigned)g.cb)); /* an empty vector still names a class */
  memcpy(args + head, &ref, sizeof ref);
  return at;
}

/* Chunks of s not in local memory now. */
static inline size_t fards_vop_remote_chunks(const struct fards_seq *s) {
  size_t n = 0;
  for (size_t c = 0; c < s->nchunks; c++)
    n += !far_is_resident(s->chunk[c]);
  return n;
}

/* Whether op's inputs are remote enough (FARDS_OFFLOAD_MIN_REMOTE_PCT) to offload it. */
static inline int fards_vop_worth_offloading(const struct fards_vop *op) {
  size_t total = op->in->nchunks + (op->idx ? op->idx->nchunks : 0);
  if (FARDS_OFFLOAD_MIN_REMOTE_PCT == 0)
    return 1;
  size_t remote = fards_vop_remote_chunks(op->in) + (op->idx ? fards_vop_remote_chunks(op->idx) : 0);
  return total && remote * 100 >= (size_t)FARDS_OFFLOAD_MIN_REMOTE_PCT * total;
}

/* Runs op in farmemd. 0 with *res filled, or -1 when it could not (the caller computes locally). */
static inline int fards_vop_offload(const struct fards_vop *op, struct fards_off_result *res) {
  size_t nin = op->in->nchunks, nidx = op->idx ? op->idx->nchunks : 0;
  size_t nout = op->out ? op->out->nchunks : 0, nall = nin + nidx + nout;
  char *args = (char *)malloc(sizeof(struct fards_off_hdr) + 3 * sizeof(struct fards_off_ref) +
                              nall * sizeof(struct fards_off_run));
  struct far_range *ranges = (struct far_range *)malloc((nall + 1) * sizeof *ranges);
  size_t nranges = 0, len = sizeof(struct fards_off_hdr), ninputs;
  int st = -1;
  if (args && ranges) {
    struct fards_off_hdr h = {FARDS_OFF_MAGIC, (uint8_t)op->cmp, 1, {0, 0}, op->value};
    len = fards_vop_put_ref(args, len, op->in, op->in->len, op->type, op->g, ranges, &nranges);
    if (op->idx)
      h.nrefs++, len = fards_vop_put_ref(args, len, op->idx, op->idx->len, FARDS_T_U64, op->gi, ranges,
                                         &nranges);
    ninputs = nranges;
    if (op->out)
      h.nrefs++, len = fards_vop_put_ref(args, len, op->out, op->out->nchunks * op->go.per,
                                         op->out_type, op->go, ranges, &nranges);
    memcpy(args, &h, sizeof h);
    void *out = NULL;
    size_t out_len = 0;
    st = !len ? -1
              : far_offload(op->fn, args, len, ranges, ninputs, ranges + ninputs,
                            nranges - ninputs, &out, &out_len);
    if (st == 0 && out_len == sizeof *res) /* 0: FAR_OK */
      memcpy(res, out, sizeof *res);
    else if (st == 0)
      st = -1;
    free(out);
  }
  free(args);
  free(ranges);
  return st == 0 ? 0 : -1;
}
#else
static inline int fards_vop_worth_offloading(const struct fards_vop *op) {
  (void)op;
  return 0;
}
static inline int fards_vop_offload(const struct fards_vop *op, struct fards_off_result *res) {
  (void)op, (void)res;
  return -1;
}
#endif

/* ---- Shared bodies of the typed functions ---- */

/* An aggregate (sum, min, max, count_if: op->agg; median: op->agg == 0). */
static inline struct fards_off_result fards_vop_aggregate(const struct fards_vop *op, int local) {
  struct fards_off_result res;
  memset(&res, 0, sizeof res);
  if (!local && fards_vop_worth_offloading(op) && fards_vop_offload(op, &res) == 0)
    return res;
  if (op->agg)
    fards_vop_agg_local(op, &res);
  else if (fards_vop_median_local(op, &res) != 0)
    res.n = 0, fprintf(stderr, "farmem ds: median: out of memory\n");
  return res;
}

/* An operation with an output sequence (op->out, empty on entry): offloaded into the capacity it
 * needs (then trimmed to the result), else computed locally. 0, or -1 (out of memory, bad index). */
static inline int fards_vop_output(struct fards_vop *op, int local) {
  size_t need = op->idx ? op->idx->len : op->in->len;
  struct fards_off_result res;
  if (!local && fards_vop_worth_offloading(op) && fards_seq_grow(op->out, need, op->go) == 0 &&
      fards_vop_offload(op, &res) == 0 && res.n <= need) {
    op->out->len = res.n;
    fards_seq_trim(op->out, res.n, op->go);
    return 0;
  }
  op->out->len = 0;
  fards_seq_trim(op->out, 0, op->go); /* what the server could not fill goes back */
  return fards_vop_output_local(op);
}

/* Declares the operations for NAME, a far array or vector of arithmetic type T declared before. */
#define FAR_VECTOR_OPS_DECLARE(name, T)                                                             \
  _Static_assert(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8,              \
                 #name ": vector operations need an integer, float or double element");             \
  FARDS_API struct fards_vop name##_vop_(name *v, const char *fn, int agg, int cmp, T value) {      \
    struct fards_vop op;                                                                            \
    memset(&op, 0, sizeof op);                                                                      \
    op.fn = fn, op.in = &v->seq, op.g = op.go = name##_geom_(), op.gi = fards_idxvec_geom_();       \
    op.type = op.out_type = FARDS_TYPE_OF(T), op.agg = agg, op.cmp = cmp;                           \
    if (fards_type_float(op.type))                                                                  \
      op.value.d = (double)value;                                                                   \
    else if (fards_type_signed(op.type))                                                            \
      op.value.i = (int64_t)value;                                                                  \
    else                                                                                            \
      op.value.u = (uint64_t)value;                                                                 \
    return op;                                                                                      \
  }                                                                                                 \
  FARDS_API FARDS_SUM_T(T) name##_sum_mode_(name *v, int local) {                                   \
    struct fards_vop op = name##_vop_(v, "farmem.vec.sum", FARDS_SUM, 0, 0);                        \
    struct fards_off_result r = fards_vop_aggregate(&op, local);                                    \
    FARDS_SUM_T(T) s;                                                                               \
    if (fards_type_float(op.type))                                                                  \
      s = (FARDS_SUM_T(T))r.value.d;                                                                \
    else                                                                                            \
      s = (FARDS_SUM_T(T))r.value.u;                                                                \
    return s;                                                                                       \
  }                                                                                                 \
  /* Returns 1 with the element in *out, or 0 when the vector is empty. agg 0: median. */           \
  FARDS_API int name##_pick_(name *v, const char *fn, int agg, T *out, int local) {                 \
    struct fards_vop op = name##_vop_(v, fn, agg, 0, 0);                                            \
    struct fards_off_result r = fards_vop_aggregate(&op, local);                                    \
    if (r.n)                                                                                        \
      memcpy(out, &r.value, sizeof(T));                                                             \
    return r.n != 0;                                                                                \
  }                                                                                                 \
  FARDS_API size_t name##_count_if_mode_(name *v, enum fards_cmp cmp, T value, int local) {         \
    struct fards_vop op = name##_vop_(v, "farmem.vec.count_if", FARDS_COUNT_IF, cmp, value);        \
    return (size_t)fards_vop_aggregate(&op, local).n;                                               \
  }                                                                                                 \
  /* A new vector (NULL: out of memory, or for gather an index out of range). */                    \
  FARDS_API name *name##_output_(name *v, const char *fn, int cmp, T value, fards_idxvec *idx,      \
                                 int local) {                                                       \
    struct fards_vop op = name##_vop_(v, fn, 0, cmp, value);                                        \
    name *out = name##_alloc_();                                                                    \
    if (!out)                                                                                       \
      return NULL;                                                                                  \
    op.out = &out->seq;                                                                             \
    op.idx = idx ? &idx->seq : NULL;                                                                \
    if (fards_vop_output(&op, local) == 0)                                                          \
      return out;                                                                                   \
    name##_free(out);                                                                               \
    return NULL;                                                                                    \
  }                                                                                                 \
  FARDS_API FARDS_SUM_T(T) name##_sum(name *v) { return name##_sum_mode_(v, 0); }                   \
  FARDS_API FARDS_SUM_T(T) name##_sum_local(name *v) { return name##_sum_mode_(v, 1); }             \
  FARDS_API int name##_min(name *v, T *out) { return name##_pick_(v, "farmem.vec.min", FARDS_MIN, out, 0); } \
  FARDS_API int name##_min_local(name *v, T *out) {                                                 \
    return name##_pick_(v, "farmem.vec.min", FARDS_MIN, out, 1);                                    \
  }                                                                                                 \
  FARDS_API int name##_max(name *v, T *out) { return name##_pick_(v, "farmem.vec.max", FARDS_MAX, out, 0); } \
  FARDS_API int name##_max_local(name *v, T *out) {                                                 \
    return name##_pick_(v, "farmem.vec.max", FARDS_MAX, out, 1);                                    \
  }                                                                                                 \
  FARDS_API int name##_median(name *v, T *out) { return name##_pick_(v, "farmem.vec.median", 0, out, 0); } \
  FARDS_API int name##_median_local(name *v, T *out) {                                              \
    return name##_pick_(v, "farmem.vec.median", 0, out, 1);                                         \
  }                                                                                                 \
  FARDS_API size_t name##_count_if(name *v, enum fards_cmp cmp, T value) {                          \
    return name##_count_if_mode_(v, cmp, value, 0);                                                 \
  }                                                                                                 \
  FARDS_API size_t name##_count_if_local(name *v, enum fards_cmp cmp, T value) {                    \
    return name##_count_if_mode_(v, cmp, value, 1);                                                 \
  }                                                                                                 \
  FARDS_API name *name##_filter(name *v, enum fards_cmp cmp, T value) {                             \
    return name##_output_(v, "farmem.vec.filter", cmp, value, NULL, 0);                             \
  }                                                                                                 \
  FARDS_API name *name##_filter_local(name *v, enum fards_cmp cmp, T value) {                       \
    return name##_output_(v, "farmem.vec.filter", cmp, value, NULL, 1);                             \
  }                                                                                                 \
  FARDS_API name *name##_unique(name *v) { return name##_output_(v, "farmem.vec.unique", 0, 0, NULL, 0); } \
  FARDS_API name *name##_unique_local(name *v) {                                                    \
    return name##_output_(v, "farmem.vec.unique", 0, 0, NULL, 1);                                   \
  }                                                                                                 \
  /* NULL too when idx is NULL. */                                                                   \
  FARDS_API name *name##_gather(name *v, fards_idxvec *idx) {                                       \
    return idx ? name##_output_(v, "farmem.vec.gather", 0, 0, idx, 0) : NULL;                       \
  }                                                                                                 \
  FARDS_API name *name##_gather_local(name *v, fards_idxvec *idx) {                                 \
    return idx ? name##_output_(v, "farmem.vec.gather", 0, 0, idx, 1) : NULL;                       \
  }                                                                                                 \
  FARDS_API fards_idxvec *name##_sort_indices_mode_(name *v, int local) {                           \
    struct fards_vop op = name##_vop_(v, "farmem.vec.sort_indices", 0, 0, 0);                       \
    fards_idxvec *out = fards_idxvec_new();                                                         \
    if (!out)                                                                                       \
      return NULL;                                                                                  \
    op.out = &out->seq, op.go = fards_idxvec_geom_(), op.out_type = FARDS_T_U64;                    \
    if (fards_vop_output(&op, local) == 0)                                                          \
      return out;                                                                                   \
    fards_idxvec_free(out);                                                                         \
    return NULL;                                                                                    \
  }                                                                                                 \
  FARDS_API fards_idxvec *name##_sort_indices(name *v) { return name##_sort_indices_mode_(v, 0); }  \
  FARDS_API fards_idxvec *name##_sort_indices_local(name *v) { return name##_sort_indices_mode_(v, 1); }

#endif
