/* A small interpreter: parses arithmetic programs into remoteable AST nodes, keeps variables in a
 * far symbol list, and evaluates loops of assignments many times. */
#include <far/annotations.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { NUM, VAR, ADD, SUB, MUL, MOD, LT };

struct __remoteable ast {
  enum kind kind;
  long value;
  char name[8];
  struct ast *lhs, *rhs;
  long memo[120]; /* last results, for the statistics line */
};

struct __remoteable symbol {
  char name[8];
  long value;
  struct symbol *next;
};

static struct symbol *symbols;
static const char *cursor;

static struct ast *node(enum kind kind, struct ast *lhs, struct ast *rhs) {
  struct ast *n = calloc(1, sizeof(struct ast));
  n->kind = kind;
  n->lhs = lhs;
  n->rhs = rhs;
  return n;
}

static void skip(void) { while (isspace((unsigned char)*cursor)) cursor++; }

static struct ast *expr(void);
static struct ast *primary(void) {
  skip();
  if (*cursor == '(') {
    cursor++;
    struct ast *e = expr();
    skip();
    cursor++; /* ')' */
    return e;
  }
  struct ast *n = node(isdigit((unsigned char)*cursor) ? NUM : VAR, NULL, NULL);
  if (n->kind == NUM) n->value = strtol(cursor, (char **)&cursor, 10);
  else {
    int len = 0;
    while (isalpha((unsigned char)*cursor) && len < 7) n->name[len++] = *cursor++;
  }
  return n;
}

static struct ast *term(void) {
  struct ast *lhs = primary();
  for (skip(); *cursor == '*' || *cursor == '%'; skip()) {
    enum kind k = *cursor++ == '*' ? MUL : MOD;
    lhs = node(k, lhs, primary());
  }
  return lhs;
}

static struct ast *expr(void) {
  struct ast *lhs = term();
  for (skip(); *cursor == '+' || *cursor == '-' || *cursor == '<'; skip()) {
    char op = *cursor++;
    lhs = node(op == '+' ? ADD : op == '-' ? SUB : LT, lhs, term());
  }
  return lhs;
}

static struct symbol *variable(const char *name) {
  for (struct symbol *s = symbols; s; s = s->next)
    if (strcmp(s->name, name) == 0) return s;
  struct symbol *s = calloc(1, sizeof *s);
  strncpy(s->name, name, sizeof s->name - 1);
  s->next = symbols;
  symbols = s;
  return s;
}

static long eval(const struct ast *n) {
  switch (n->kind) {
  case NUM: return n->value;
  case VAR: return variable(n->name)->value;
  case ADD: return eval(n->lhs) + eval(n->rhs);
  case SUB: return eval(n->lhs) - eval(n->rhs);
  case MUL: return eval(n->lhs) * eval(n->rhs);
  case MOD: { long d = eval(n->rhs); return d ? eval(n->lhs) % d : 0; }
  case LT: return eval(n->lhs) < eval(n->rhs);
  }
  return 0;
}

struct __remoteable statement { char target[8]; struct ast *value; };

enum { STATEMENTS = 4 };

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  static const char *source[][2] = {
      {"a", "(a * 31 + i) % 1000003"}, {"b", "b + a % 7 - (a < 500000)"},
      {"c", "(c + a * b) % 65521"},    {"i", "i + 1"}};
  const long COPIES = 700 * scale;
  struct statement *program = malloc(STATEMENTS * COPIES * sizeof *program);
  for (int copy = 0; copy < COPIES; copy++)
    for (int s = 0; s < STATEMENTS; s++) {
      struct statement *st = &program[copy * STATEMENTS + s];
      strcpy(st->target, source[s][0]);
      cursor = source[s][1];
      st->value = expr();
    }
  for (int round = 0; round < 3; round++)
    for (int k = 0; k < STATEMENTS * COPIES; k++) {
      long v = eval(program[k].value);
      program[k].value->memo[round] = v;
      variable(program[k].target)->value = v;
    }
  long memo = 0;
  for (int k = 0; k < STATEMENTS * COPIES; k++) memo = memo * 3 + program[k].value->memo[1];
  printf("memo %ld\n", memo);
  for (struct symbol *s = symbols; s; s = s->next) printf("%s = %ld\n", s->name, s->value);
  return 0;
}
