/* Finding the address a faulting x86-64 instruction tried to access, for the safety net: a
 * non-canonical (far) address raises #GP, for which the kernel reports si_addr = 0. */
#ifndef FAR_FAULT_DECODE_H
#define FAR_FAULT_DECODE_H

#include <stdint.h>
#include <ucontext.h>

/* Decodes the memory operand of the instruction at the context's RIP from its registers. Returns 1
 * and sets *addr when it could (for the rare EVEX instructions with a compressed 8-bit displacement
 * the displacement is taken unscaled; the tag bits are still right), 0 for an instruction it does
 * not understand. Must only be called when RIP points at a readable instruction. */
int far_fault_operand(const ucontext_t *uc, uint64_t *addr);

/* The first general register whose top byte is tag; returns 1 and sets *value, or 0. */
int far_fault_tagged_register(const ucontext_t *uc, unsigned tag, uint64_t *value);

#endif
