/* Names of the protocol's statuses, for error messages on both sides. */
#include "far/wire.h"

const char *far_status_name(int status) {
  switch (status) {
  case FAR_OK: return "ok";
  case FAR_ENOSPC: return "server capacity exhausted";
  case FAR_EAUTH: return "authentication failed (wrong or missing token)";
  case FAR_EVERSION: return "protocol version not supported";
  case FAR_ENOENT: return "offload function not found";
  case FAR_EOFFLOAD: return "offload function failed";
  case FAR_ESTATE: return "request not allowed in this connection state";
  case FAR_ENET: return "connection refused, lost or closed by the server";
  case FAR_EPROTO: return "malformed message from the server";
  case FAR_EINVAL: return "invalid argument (class, id or length out of range)";
  default: return "unknown status";
  }
}
