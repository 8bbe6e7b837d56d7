/* Writes the fuzzer's seed corpus: one file per op (and a pipelined mix), each a chunk-size byte
 * followed by well-formed request frames, so fuzzing starts from inputs that pass validation. */
#include <stdio.h>
#include <string.h>
#include "far/wire_codec.h"

static void save(const char *dir, const char *name, far_wbuf *b, unsigned char chunk) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f || fputc(chunk, f) == EOF || fwrite(b->data, 1, b->len, f) != b->len || fclose(f) != 0) {
    perror(path);
    return;
  }
  far_wbuf_reset(b);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  static const uint8_t key[FAR_WIRE_SESSION_KEY_LEN] = "fuzz-session-key";
  uint8_t data[256];
  far_wbuf b;
  memset(data, 0xa5, sizeof data);
  far_wbuf_init(&b);
  far_wire_put_hello(&b, 1, FAR_WIRE_VERSION, "token", 5, key);
  save(dir, "hello", &b, 255);
  far_wire_put_read(&b, 2, 6, 12345);
  save(dir, "read", &b, 3);
  far_wire_put_write(&b, 3, 8, 7, data, sizeof data);
  save(dir, "write", &b, 16);
  far_wire_put_free(&b, 4, 12, 100, 50);
  save(dir, "free", &b, 255);
  far_wire_put_stats(&b, 5);
  far_wire_put_bye(&b, 6);
  save(dir, "stats_bye", &b, 0);
  far_wire_put_offload(&b, 7, "aggregate", data, 16);
  save(dir, "offload", &b, 255);
  far_wire_begin_readv(&b, 8, 4);
  for (unsigned i = 0; i < 4; i++)
    far_wire_add_read(&b, 4 + i, i);
  far_wire_end(&b);
  save(dir, "readv", &b, 255);
  far_wire_begin_writev(&b, 9, 3);
  for (unsigned i = 0; i < 3; i++)
    far_wire_add_write(&b, 5 + i, i, data, 16 << i);
  far_wire_end(&b);
  save(dir, "writev", &b, 255);
  far_wire_put_data_reply(&b, FAR_OP_READ, 10, data, 64);
  far_wire_put_hello_reply(&b, 11, FAR_OK);
  save(dir, "replies", &b, 255);
  far_wire_put_hello(&b, 1, FAR_WIRE_VERSION, NULL, 0, key);
  for (unsigned i = 0; i < 8; i++)
    far_wire_put_write(&b, 20 + i, 4, i, data, 16);
  far_wire_put_read(&b, 30, 4, 3);
  save(dir, "pipelined", &b, 7);
  far_wbuf_free(&b);
  return 0;
}
