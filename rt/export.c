/* The external definitions of the inline fast paths in far/rt.h (far_read, far_write,
 * far_scope_enter, far_scope_exit and their helpers), for calls that are not inlined: the plugin's
 * IR stage calls them by name, and a debugger or another language can call them too. */
#define FAR_RT_DEFINE_INLINES
#include "far/rt.h"
