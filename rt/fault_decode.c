/* x86-64 memory-operand decoder for the safety net. On x86-64 a load or store through a far
 * (non-canonical) address raises a general-protection fault and the kernel reports si_addr = 0, so
 * the only way to learn the address is to decode the faulting instruction: skip its prefixes, find
 * its ModRM byte (legacy, REX, VEX and EVEX encodings), and compute base + index * scale + disp from
 * the saved registers. Instructions with implicit operands (string instructions, moffs moves) are
 * handled too; anything else is "not understood" and the caller falls back to a register scan. */
#define _GNU_SOURCE
#include "fault_decode.h"

#include <string.h>

/* x86 register number -> ucontext gregs index. */
static const int greg_of[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP,
                                REG_RSI, REG_RDI, REG_R8,  REG_R9,  REG_R10, REG_R11,
                                REG_R12, REG_R13, REG_R14, REG_R15};

static uint64_t reg(const ucontext_t *uc, unsigned n) {
  return (uint64_t)uc->uc_mcontext.gregs[greg_of[n & 15]];
}

/* One-byte opcodes (64-bit mode) followed by a ModRM byte. */
static int opcode1_has_modrm(uint8_t op) {
  if (op < 0x40)
    return (op & 7) < 4;
  switch (op) {
  case 0x63: case 0x69: case 0x6B: case 0xC0: case 0xC1: case 0xC6: case 0xC7:
  case 0xF6: case 0xF7: case 0xFE: case 0xFF:
    return 1;
  }
  return (op >= 0x80 && op <= 0x8F && op != 0x82) || (op >= 0xD0 && op <= 0xD3) ||
         (op >= 0xD8 && op <= 0xDF);
}

/* Two-byte opcodes 0F xx without a ModRM byte. */
static int opcode2_has_modrm(uint8_t op) {
  switch (op) {
  case 0x05: case 0x06: case 0x07: case 0x08: case 0x09: case 0x0B: case 0x0E:
  case 0x77: case 0xA0: case 0xA1: case 0xA2: case 0xA8: case 0xA9: case 0xAA:
    return 0;
  }
  return !((op >= 0x30 && op <= 0x37) || (op >= 0x80 && op <= 0x8F) || op >= 0xC8);
}

struct insn {
  const uint8_t *p;   /* next byte */
  int addr32, seg;    /* 0x67 prefix; FS/GS segment override */
  unsigned rex_x, rex_b;
};

static uint64_t fetch_disp(const uint8_t *p, int bytes) {
  if (bytes == 1)
    return (uint64_t)(int64_t)(int8_t)p[0];
  int32_t d;
  memcpy(&d, p, 4);
  return (uint64_t)(int64_t)d;
}

/* Address of the ModRM operand at in->p. Returns 0 for a register operand. */
static int modrm_address(const ucontext_t *uc, struct insn *in, uint64_t *addr) {
  uint8_t modrm = *in->p++;
  unsigned mod = modrm >> 6, rm = modrm & 7;
  if (mod == 3)
    return 0;
  uint64_t a = 0;
  if (rm == 4) {
    uint8_t sib = *in->p++;
    unsigned index = ((sib >> 3) & 7) | (in->rex_x << 3), base = sib & 7;
    if (index != 4)
      a += reg(uc, index) << (sib >> 6);
    if (base == 5 && mod == 0)
      mod = 2; /* disp32, no base */
    else
      a += reg(uc, base | (in->rex_b << 3));
  } else if (rm == 5 && mod == 0) {
    a = (uint64_t)uc->uc_mcontext.gregs[REG_RIP]; /* RIP-relative: code, never far */
    mod = 2;
  } else {
    a = reg(uc, rm | (in->rex_b << 3));
  }
  if (mod == 1)
    a += fetch_disp(in->p, 1);
  else if (mod == 2)
    a += fetch_disp(in->p, 4);
  *addr = in->addr32 ? (uint32_t)a : a;
  return 1;
}

/* Bits 63..47 all equal: an address the CPU accepts (with 48-bit virtual addresses). */
static int canonical(uint64_t a) { return (uint64_t)((int64_t)(a << 16) >> 16) == a; }

/* String instructions and moffs moves: the operand address is implicit. Returns 1 if op is one. */
static int implicit_address(const ucontext_t *uc, struct insn *in, uint8_t op, uint64_t *addr) {
  uint64_t rsi = reg(uc, 6), rdi = reg(uc, 7);
  if (op >= 0xA0 && op <= 0xA3) {
    uint64_t a;
    memcpy(&a, in->p, in->addr32 ? 4 : 8);
    *addr = in->addr32 ? (uint32_t)a : a;
    return 1;
  }
  if (op == 0xA4 || op == 0xA5 || op == 0xA6 || op == 0xA7) { /* movs, cmps: rsi and rdi */
    *addr = canonical(rsi) ? rdi : rsi;
    return 1;
  }
  if (op == 0xAC || op == 0xAD) { /* lods */
    *addr = rsi;
    return 1;
  }
  if (op == 0xAA || op == 0xAB || op == 0xAE || op == 0xAF) { /* stos, scas */
    *addr = rdi;
    return 1;
  }
  return 0;
}

static void skip_legacy_prefixes(struct insn *in) {
  for (int n = 0; n < 14; n++, in->p++) {
    switch (*in->p) {
    case 0x66: case 0xF0: case 0xF2: case 0xF3: case 0x2E: case 0x36: case 0x3E: case 0x26:
      continue;
    case 0x64: case 0x65:
      in->seg = 1;
      continue;
    case 0x67:
      in->addr32 = 1;
      continue;
    }
    return;
  }
}

int far_fault_operand(const ucontext_t *uc, uint64_t *addr) {
  struct insn in = {.p = (const uint8_t *)uc->uc_mcontext.gregs[REG_RIP]};
  skip_legacy_prefixes(&in);
  if ((*in.p & 0xF0) == 0x40) {
    in.rex_x = (*in.p >> 1) & 1;
    in.rex_b = *in.p & 1;
    in.p++;
  }
  uint8_t op = *in.p;
  int ok;
  if (op == 0xC5) { /* 2-byte VEX: C5, RvvvvLpp, opcode, ModRM */
    in.p += 3;
    ok = modrm_address(uc, &in, addr);
  } else if (op == 0xC4 || op == 0x62) { /* 3-byte VEX / EVEX: inverted R X B in the next byte */
    in.rex_x = !(in.p[1] & 0x40);
    in.rex_b = !(in.p[1] & 0x20);
    in.p += op == 0xC4 ? 4 : 5;
    ok = modrm_address(uc, &in, addr);
  } else if (op == 0x0F) {
    op = *++in.p;
    in.p++;
    if (op == 0x38 || op == 0x3A)
      in.p++;
    else if (!opcode2_has_modrm(op))
      return 0;
    ok = modrm_address(uc, &in, addr);
  } else {
    in.p++;
    ok = opcode1_has_modrm(op) ? modrm_address(uc, &in, addr) : implicit_address(uc, &in, op, addr);
  }
  return ok && !in.seg;
}

int far_fault_tagged_register(const ucontext_t *uc, unsigned tag, uint64_t *value) {
  for (unsigned n = 0; n < 16; n++) {
    if (reg(uc, n) >> 56 == tag) {
      *value = reg(uc, n);
      return 1;
    }
  }
  return 0;
}
