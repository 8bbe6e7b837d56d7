/* The safety net's x86-64 operand decoder on hand-assembled instructions: each case gives the
 * instruction bytes, the registers, and the address the CPU would access. */
#define _GNU_SOURCE
#include "fault_decode.h"
#include "harness.h"

#include <check.h>
#include <string.h>

#define FAR 0xFA00000000001000ull
#define LOCAL 0x00007f0000002000ull

struct decode_case {
  const char *what;
  unsigned char code[16];
  int reg;       /* gregs index given the value below; -1 for none */
  uint64_t value;
  int decoded;   /* expected return */
  uint64_t addr; /* expected address when decoded */
};

static const struct decode_case cases[] = {
    {"mov eax,[rdi+8]", {0x8b, 0x47, 0x08}, REG_RDI, FAR, 1, FAR + 8},
    {"mov rax,[rbx+rcx*8+0x10]", {0x48, 0x8b, 0x44, 0xcb, 0x10}, REG_RBX, FAR, 1, FAR + 3 * 8 + 0x10},
    {"mov eax,[r12]", {0x41, 0x8b, 0x04, 0x24}, REG_R12, FAR, 1, FAR},
    {"mov [r13+disp32],eax", {0x41, 0x89, 0x85, 0x00, 0x01, 0x00, 0x00}, REG_R13, FAR, 1, FAR + 0x100},
    {"mov eax,[rdx+r9*4] (REX.X)", {0x42, 0x8b, 0x04, 0x8a}, REG_RDX, FAR, 1, FAR + 4 * 5},
    {"vmovdqu ymm0,[rsi] (VEX2)", {0xc5, 0xfe, 0x6f, 0x06}, REG_RSI, FAR, 1, FAR},
    {"vmovdqu ymm0,[r8] (VEX3)", {0xc4, 0xc1, 0x7e, 0x6f, 0x00}, REG_R8, FAR, 1, FAR},
    {"vmovups zmm0,[rsi] (EVEX)", {0x62, 0xf1, 0x7c, 0x48, 0x10, 0x06}, REG_RSI, FAR, 1, FAR},
    {"movups xmm0,[rdi] (0F)", {0x0f, 0x10, 0x07}, REG_RDI, FAR, 1, FAR},
    {"movdqa xmm0,[rdi+0x10] (66 0F)", {0x66, 0x0f, 0x6f, 0x47, 0x10}, REG_RDI, FAR, 1, FAR + 0x10},
    {"pshufb xmm0,[rdi] (0F 38)", {0x66, 0x0f, 0x38, 0x00, 0x07}, REG_RDI, FAR, 1, FAR},
    {"lock add [rdi],eax", {0xf0, 0x01, 0x07}, REG_RDI, FAR, 1, FAR},
    {"mov eax,[0x1000] (SIB, no base)", {0x8b, 0x04, 0x25, 0x00, 0x10, 0x00, 0x00}, -1, 0, 1, 0x1000},
    {"movabs rax,[moffs64]", {0x48, 0xa1, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0xfa}, -1, 0, 1, FAR},
    {"rep stosq", {0xf3, 0x48, 0xab}, REG_RDI, FAR, 1, FAR},
    {"rep movsb (far source)", {0xf3, 0xa4}, REG_RSI, FAR, 1, FAR},
    {"lodsb", {0xac}, REG_RSI, FAR, 1, FAR},
    {"mov eax,[rdi] with a local rdi", {0x8b, 0x07}, REG_RDI, LOCAL, 1, LOCAL},
    {"mov eax,ecx (no memory operand)", {0x89, 0xc8}, REG_RCX, FAR, 0, 0},
    {"mov rax,fs:[0x28] (segment)", {0x64, 0x48, 0x8b, 0x04, 0x25, 0x28, 0, 0, 0}, -1, 0, 0, 0},
    {"syscall (not understood)", {0x0f, 0x05}, -1, 0, 0, 0},
    {"mov eax,[edi] (addr32)", {0x67, 0x8b, 0x07}, REG_RDI, FAR, 1, 0x1000},
};

START_TEST(test_decode) {
  const struct decode_case *c = &cases[_i];
  ucontext_t uc;
  memset(&uc, 0, sizeof uc);
  uc.uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)c->code;
  uc.uc_mcontext.gregs[REG_RCX] = 3;
  uc.uc_mcontext.gregs[REG_R9] = 5;
  if (c->reg >= 0)
    uc.uc_mcontext.gregs[c->reg] = (greg_t)c->value;
  uint64_t addr = 0;
  int decoded = far_fault_operand(&uc, &addr);
  ck_assert_msg(decoded == c->decoded, "%s: decoded %d", c->what, decoded);
  if (decoded)
    ck_assert_msg(addr == c->addr, "%s: address %#llx, expected %#llx", c->what,
                  (unsigned long long)addr, (unsigned long long)c->addr);
}
END_TEST

START_TEST(test_rip_relative_is_code) {
  static const unsigned char code[] = {0x8b, 0x05, 0x10, 0x00, 0x00, 0x00}; /* mov eax,[rip+0x10] */
  ucontext_t uc;
  memset(&uc, 0, sizeof uc);
  uc.uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)code;
  uint64_t addr;
  ck_assert_int_eq(far_fault_operand(&uc, &addr), 1);
  ck_assert_uint_eq(addr >> 56, 0);
}
END_TEST

START_TEST(test_tagged_register) {
  ucontext_t uc;
  memset(&uc, 0, sizeof uc);
  uint64_t v = 0;
  uc.uc_mcontext.gregs[REG_RAX] = (greg_t)LOCAL;
  ck_assert_int_eq(far_fault_tagged_register(&uc, 0xFA, &v), 0);
  uc.uc_mcontext.gregs[REG_R11] = (greg_t)(FAR + 0x40);
  ck_assert_int_eq(far_fault_tagged_register(&uc, 0xFA, &v), 1);
  ck_assert_uint_eq(v, FAR + 0x40);
}
END_TEST

int main(void) {
  Suite *s = suite_create("fault_decode");
  TCase *tc = tcase_create("x86_64");
  tcase_add_loop_test(tc, test_decode, 0, sizeof cases / sizeof *cases);
  tcase_add_test(tc, test_rip_relative_is_code);
  tcase_add_test(tc, test_tagged_register);
  suite_add_tcase(s, tc);
  return harness_run_suite(s);
}
