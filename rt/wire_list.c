/* Walking a list that a decoder has already validated (batch elements, readv data, stats pairs):
 * the checks were done once, so this only extracts fields. */
#include <string.h>
#include "wire_internal.h"

int far_wire_list_next(far_wire_list *l, far_wire_item *it) {
  if (l->left == 0)
    return 0;
  far_mp m = {l->pos, l->end};
  uint32_t n;
  uint64_t cls;
  const uint8_t *name;
  memset(it, 0, sizeof *it);
  switch (l->kind) {
  case FAR_LIST_READV_REQ:
  case FAR_LIST_WRITEV_REQ:
    far_mp_array(&m, &n);
    far_mp_uint(&m, &cls);
    it->cls = (unsigned)cls;
    far_mp_uint(&m, &it->obj);
    if (l->kind == FAR_LIST_WRITEV_REQ)
      far_mp_bin(&m, &it->data, &it->len);
    break;
  case FAR_LIST_DATA:
    far_mp_bin(&m, &it->data, &it->len);
    break;
  case FAR_LIST_STATS:
    far_mp_str(&m, &name, &it->name_len);
    it->name = (const char *)name;
    far_mp_uint(&m, &it->value);
    break;
  }
  l->pos = m.p;
  l->left--;
  return 1;
}
