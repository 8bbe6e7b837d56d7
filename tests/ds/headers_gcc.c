/* Compiled by GCC (-Wall -Wextra -Werror), not run: the data structures are for plain C programs
 * built with any C compiler (toolchain.md: `cc` or `farcc`), and the project itself builds with
 * clang, so nothing else would notice a construct only GCC rejects or warns about. Every structure,
 * the vector operations and far/rt.h, in the far build and (-DFARDS_LOCAL) the local-only one. */
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

int main(void) {
  recvec *v = recvec_new();
  struct rec r = {1.5, "x", 7};
  int ok = v && recvec_push(v, r) == 0 && recvec_get(v, 0).key == 7;
  recvec_free(v);
  return !ok;
}
