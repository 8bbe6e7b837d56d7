/* Compiled (not run) by GCC and by the project's compiler with -Wall -Wextra -Werror: the data
 * structures are for plain C programs built with any C compiler (toolchain.md: `cc` or `farcc`),
 * and the project itself builds with clang, so nothing else would notice a construct that only GCC
 * rejects or warns about. Every structure, the vector operations and far/rt.h, in the far build and
 * (-DFARDS_LOCAL) the local-only one, with a struct, an arithmetic and a pointer element type (a
 * `const char *` element must make callbacks take `const char *const *`). */
#include <far/ds.h>

struct rec {
  double weight;
  char tag[24];
  int key;
};

FAR_VECTOR_DECLARE(recvec, struct rec)
FAR_ARRAY_DECLARE(dblarr, double)
FAR_VECTOR_OPS_DECLARE(dblarr, double)
FAR_VECTOR_DECLARE(i8vec, signed char)
FAR_VECTOR_OPS_DECLARE(i8vec, signed char)
FAR_LIST_DECLARE(reclist, struct rec)
FAR_STACK_DECLARE(recstack, struct rec)
FAR_QUEUE_DECLARE(recq, struct rec)
FAR_HASHTABLE_DECLARE_POD(rectab, uint64_t, struct rec)
FAR_VECTOR_DECLARE(strvec, const char *)
FAR_LIST_DECLARE(strlist, const char *)
FAR_QUEUE_DECLARE(strq, char *)

static int vec_visit(const char *const *e, size_t i, void *ctx) {
  (void)ctx;
  return (*e)[0] == 'x' && i > 0;
}

static int list_visit(const char *const *e, void *ctx) {
  (void)ctx;
  return (*e)[0] == 'x';
}

static int queue_visit(char *const *e, void *ctx) {
  (void)ctx;
  return (*e)[0] == 'x';
}

int main(void) {
  recvec *v = recvec_new();
  struct rec r = {1.5, "x", 7};
  int ok = v && recvec_push(v, r) == 0 && recvec_get(v, 0).key == 7;
  recvec_free(v);
  strvec *sv = strvec_new();
  strlist *sl = strlist_new();
  strq *q = strq_new();
  const char *names[2] = {"a", "b"};
  char text[] = "y";
  ok = ok && sv && sl && q && strvec_append(sv, names, 2) == 0 && strlist_push_back(sl, "c") == 0 &&
       strq_push(q, text) == 0 && !strvec_for_each(sv, 0, 2, vec_visit, NULL) &&
       !strlist_for_each(sl, list_visit, NULL) && !strq_for_each(q, queue_visit, NULL);
  strvec_free(sv), strlist_free(sl), strq_free(q);
  return !ok;
}
