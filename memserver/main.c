/* farmemd, the farmem memory server: stores far objects for runtime clients, one namespace per
 * client session (see toolchain.md, section farmemd, and docs/protocol.md). */
#include "config.h"
#include "log.h"
#include "offload.h"
#include "server.h"

int main(int argc, char **argv) {
  static config cfg;
  int rc = flags_parse(argc, argv, &cfg);
  if (rc >= 0)
    return rc;
  log_set_level(cfg.log_level);
  if ((rc = offload_load(&cfg)) >= 0)
    return rc;
  return server_run(&cfg);
}
