/* farmem's own offload module (farmem_vec.so, loaded by farmemd by default): the vector operations of
 * far/ds/vec_ops.h computed next to the data. The client sends the chunk lists of its vectors
 * (far/ds/vec_kernels.h describes the layout); this module validates every field, walks the chunks
 * through the offload accessors and runs the same kernels the client would run locally, so results
 * match the local computation bit for bit. Output vectors are allocated by the client; the module
 * fills their chunks and returns only their length. */
#include <far/ds/vec_kernels.h>
#include <far/offload.h>
#include <stdlib.h>
#include <string.h>

/* One vector of a call, validated: its chunk ids in order. */
struct vref {
  int type;
  unsigned cls;
  size_t es, per; /* element size, elements per chunk */
  uint64_t len;
  uint64_t nchunks; /* chunks the len elements occupy */
  uint64_t *ids;
};

struct args {
  const uint8_t *p, *end;
  far_offload_call *call;
  const char *fn;
};

static int fail(struct args *a, const char *what) {
  return a->call->api->fail(a->call, "%s: %s", a->fn, what);
}

static int take(struct args *a, void *dst, size_t n) {
  if ((size_t)(a->end - a->p) < n)
    return -1;
  memcpy(dst, a->p, n);
  a->p += n;
  return 0;
}

/* Chunk geometry and limits of a reference; 0 or -1 after fail(). */
static int ref_geometry(struct args *a, const struct fards_off_ref *h, struct vref *r) {
  r->type = h->type;
  r->cls = h->cls;
  r->es = fards_type_size(h->type);
  r->len = h->len;
  if (!r->es)
    return fail(a, "unknown element type");
  if (h->cls < 4 || h->cls > 20 || ((size_t)1 << h->cls) < r->es)
    return fail(a, "chunk class out of range");
  r->per = ((size_t)1 << h->cls) / r->es;
  r->nchunks = r->len / r->per + (r->len % r->per != 0);
  if (r->nchunks > FARDS_OFF_MAX_CHUNKS || (r->nchunks << h->cls) > FARDS_OFF_MAX_BYTES)
    return fail(a, "vector larger than an offloaded call may span");
  return 0;
}

/* Reads one vector reference and expands its runs into r->ids (the first r->nchunks ids). */
static int parse_ref(struct args *a, struct vref *r) {
  struct fards_off_ref h;
  r->ids = NULL;
  if (take(a, &h, sizeof h) != 0)
    return fail(a, "arguments truncated");
  if (ref_geometry(a, &h, r) != 0)
    return -1;
  if (h.nruns > (size_t)(a->end - a->p) / sizeof(struct fards_off_run))
    return fail(a, "run count beyond the arguments");
  if (!(r->ids = malloc((r->nchunks ? r->nchunks : 1) * sizeof *r->ids)))
    return fail(a, "out of memory");
  uint64_t have = 0, limit = 1ull << (51 - r->cls);
  for (uint32_t i = 0; i < h.nruns; i++) {
    struct fards_off_run run;
    take(a, &run, sizeof run);
    if (run.first >= limit || run.count > limit - run.first)
      return fail(a, "chunk id outside its class");
    for (uint64_t k = 0; k < run.count && have < r->nchunks; k++)
      r->ids[have++] = run.first + k;
  }
  if (have < r->nchunks)
    return fail(a, "fewer chunks than the length needs");
  return 0;
}

/* The n elements of chunk c (a view valid during the call). */
static const char *chunk_view(struct args *a, const struct vref *r, uint64_t c, size_t *n) {
  uint64_t left = r->len - c * r->per;
  *n = left < r->per ? (size_t)left : r->per;
  return (const char *)a->call->api->view(a->call, r->cls, r->ids[c]);
}

/* A copy of all elements in one local buffer (for the sorting kernels); NULL after fail(). */
static char *gather_all(struct args *a, const struct vref *r) {
  char *buf = malloc(r->len * r->es + 1);
  if (!buf) {
    fail(a, "out of memory");
    return NULL;
  }
  for (uint64_t c = 0; c < r->nchunks; c++) {
    size_t n;
    const char *v = chunk_view(a, r, c, &n);
    memcpy(buf + c * r->per * r->es, v, n * r->es);
  }
  return buf;
}

/* ---- Output vectors: elements are staged one chunk at a time and written whole. ---- */

struct out {
  struct vref r;
  char *stage;
  uint64_t n; /* elements written so far */
  int error;
};

static int out_flush(struct args *a, struct out *o) {
  if (o->n == 0 || o->error)
    return o->error;
  size_t fill = o->n % o->r.per ? o->n % o->r.per : o->r.per;
  uint64_t c = (o->n - 1) / o->r.per;
  if (a->call->api->write(a->call, o->r.cls, o->r.ids[c], 0, o->stage, (size_t)1 << o->r.cls) != 0)
    return o->error = fail(a, "cannot store the output (server capacity)");
  memset(o->stage, 0, fill * o->r.es);
  return 0;
}

static void out_push(struct args *a, struct out *o, const void *elem) {
  if (o->error)
    return;
  memcpy(o->stage + (o->n % o->r.per) * o->r.es, elem, o->r.es);
  if (++o->n % o->r.per == 0)
    out_flush(a, o);
}

/* Ends the output: the partial last chunk, then the result {length}. */
static int out_finish(struct args *a, struct out *o) {
  if (o->n % o->r.per)
    out_flush(a, o);
  if (o->error)
    return o->error;
  struct fards_off_result res = {.n = o->n};
  return a->call->api->result(a->call, &res, sizeof res);
}

/* ---- The operations ---- */

enum vop { OP_SUM, OP_MIN, OP_MAX, OP_COUNT_IF, OP_MEDIAN, OP_FILTER, OP_UNIQUE, OP_GATHER, OP_SORT_INDICES };

struct call_state {
  struct args a;
  struct fards_off_hdr h;
  struct vref in, idx;
  struct out out;
};

static int aggregate(struct call_state *s, int agg) {
  struct fards_acc acc;
  fards_acc_init(&acc, agg, s->in.type, s->h.cmp, s->h.value);
  for (uint64_t c = 0; c < s->in.nchunks; c++) {
    size_t n;
    const char *v = chunk_view(&s->a, &s->in, c, &n);
    fards_acc_add(&acc, v, n);
  }
  struct fards_off_result res = {.n = acc.n, .value = acc.result};
  return s->a.call->api->result(s->a.call, &res, sizeof res);
}

static int median(struct call_state *s) {
  struct fards_off_result res = {.n = s->in.len};
  if (s->in.len) {
    char *buf = gather_all(&s->a, &s->in);
    if (!buf)
      return -1;
    int rc = fards_median(s->in.type, buf, s->in.len, &res.value);
    free(buf);
    if (rc != 0)
      return fail(&s->a, "out of memory");
  }
  return s->a.call->api->result(s->a.call, &res, sizeof res);
}

static int filter(struct call_state *s) {
  for (uint64_t c = 0; c < s->in.nchunks; c++) {
    size_t n;
    const char *v = chunk_view(&s->a, &s->in, c, &n);
    for (size_t k = 0; k < n; k++)
      if (fards_compare(s->in.type, fards_load_wide(s->in.type, v + k * s->in.es), s->h.cmp, s->h.value))
        out_push(&s->a, &s->out, v + k * s->in.es);
  }
  return out_finish(&s->a, &s->out);
}

static int unique_or_sort(struct call_state *s, int sort) {
  char *buf = gather_all(&s->a, &s->in);
  uint64_t *idx = sort ? malloc(s->in.len * sizeof *idx + 1) : NULL;
  size_t n = s->in.len;
  if (buf && (sort ? !idx || fards_sort_indices(s->in.type, buf, n, idx) != 0
                   : (n = fards_unique(s->in.type, buf, n)) == SIZE_MAX)) {
    free(buf);
    free(idx);
    return fail(&s->a, "out of memory");
  }
  if (!buf) {
    free(idx);
    return -1;
  }
  for (size_t i = 0; i < n; i++)
    out_push(&s->a, &s->out, sort ? (const void *)&idx[i] : (const void *)(buf + i * s->in.es));
  free(buf);
  free(idx);
  return out_finish(&s->a, &s->out);
}

static int gather(struct call_state *s) {
  for (uint64_t c = 0; c < s->idx.nchunks; c++) {
    size_t n;
    const char *v = chunk_view(&s->a, &s->idx, c, &n);
    for (size_t k = 0; k < n; k++) {
      uint64_t i;
      memcpy(&i, v + k * 8, 8);
      if (i >= s->in.len)
        return fail(&s->a, "index out of range");
      const char *chunk = (const char *)s->a.call->api->view(s->a.call, s->in.cls, s->in.ids[i / s->in.per]);
      out_push(&s->a, &s->out, chunk + (i % s->in.per) * s->in.es);
    }
  }
  return out_finish(&s->a, &s->out);
}

/* What each operation needs: references after the input, and the output's type and capacity. */
static int check_shape(struct call_state *s, enum vop op) {
  int want_refs = op < OP_FILTER ? 1 : op == OP_GATHER ? 3 : 2;
  if (s->h.magic != FARDS_OFF_MAGIC || s->h.nrefs != want_refs)
    return fail(&s->a, "bad header");
  if ((op == OP_COUNT_IF || op == OP_FILTER) && (s->h.cmp < FARDS_EQ || s->h.cmp >= FARDS_CMP_END))
    return fail(&s->a, "unknown comparison");
  if ((op == OP_MEDIAN || op == OP_UNIQUE || op == OP_SORT_INDICES) && s->in.len > FARDS_OFF_MAX_SORT)
    return fail(&s->a, "too many elements to sort in the server");
  if (op < OP_FILTER)
    return 0;
  uint64_t need = op == OP_GATHER ? s->idx.len : s->in.len;
  int type = op == OP_SORT_INDICES ? FARDS_T_U64 : s->in.type;
  if (op == OP_GATHER && s->idx.type != FARDS_T_U64)
    return fail(&s->a, "index vector must hold uint64_t");
  if (s->out.r.type != type || s->out.r.len < need)
    return fail(&s->a, "output vector of the wrong type or too small");
  if (!(s->out.stage = calloc(1, (size_t)1 << s->out.r.cls)))
    return fail(&s->a, "out of memory");
  return 0;
}

static int run(enum vop op, far_offload_call *call, const void *args, size_t len, const char *fn) {
  struct call_state s;
  memset(&s, 0, sizeof s);
  s.a = (struct args){.p = args, .end = (const uint8_t *)args + len, .call = call, .fn = fn};
  int rc = -1;
  if (take(&s.a, &s.h, sizeof s.h) != 0)
    rc = fail(&s.a, "arguments truncated");
  else if (parse_ref(&s.a, &s.in) == 0 && (op != OP_GATHER || parse_ref(&s.a, &s.idx) == 0) &&
           (op < OP_FILTER || parse_ref(&s.a, &s.out.r) == 0) && check_shape(&s, op) == 0) {
    if (s.a.p != s.a.end)
      rc = fail(&s.a, "trailing bytes after the arguments");
    else if (op <= OP_COUNT_IF)
      rc = aggregate(&s, (int[]){FARDS_SUM, FARDS_MIN, FARDS_MAX, FARDS_COUNT_IF}[op]);
    else if (op == OP_MEDIAN)
      rc = median(&s);
    else if (op == OP_FILTER)
      rc = filter(&s);
    else if (op == OP_GATHER)
      rc = gather(&s);
    else
      rc = unique_or_sort(&s, op == OP_SORT_INDICES);
  }
  free(s.in.ids);
  free(s.idx.ids);
  free(s.out.r.ids);
  free(s.out.stage);
  return rc;
}

#define VEC_FN(op, suffix)                                                                          \
  static int fn_##suffix(far_offload_call *call, const void *args, size_t len) {                   \
    return run(op, call, args, len, "farmem.vec." #suffix);                                         \
  }
VEC_FN(OP_SUM, sum)
VEC_FN(OP_MIN, min)
VEC_FN(OP_MAX, max)
VEC_FN(OP_COUNT_IF, count_if)
VEC_FN(OP_MEDIAN, median)
VEC_FN(OP_FILTER, filter)
VEC_FN(OP_UNIQUE, unique)
VEC_FN(OP_GATHER, gather)
VEC_FN(OP_SORT_INDICES, sort_indices)

int farmemd_offload_register(const struct farmemd_offload_api *api) {
  static const struct {
    const char *name;
    far_offload_fn fn;
  } fns[] = {{"farmem.vec.sum", fn_sum},           {"farmem.vec.min", fn_min},
             {"farmem.vec.max", fn_max},           {"farmem.vec.count_if", fn_count_if},
             {"farmem.vec.median", fn_median},     {"farmem.vec.filter", fn_filter},
             {"farmem.vec.unique", fn_unique},     {"farmem.vec.gather", fn_gather},
             {"farmem.vec.sort_indices", fn_sort_indices}};
  if (api->abi < 1)
    return -1;
  for (size_t i = 0; i < sizeof fns / sizeof *fns; i++)
    if (api->add(api, fns[i].name, fns[i].fn) != 0)
      return -1;
  return 0;
}
