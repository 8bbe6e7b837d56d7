/* The less common forms of issue 4 on far objects (about 40 MB of them): a remoteable struct with
 * an embedded record, bit-fields, a union, a volatile field, a pointer and a function pointer
 * stored in it; an anonymous typedef'd remoteable struct; a remoteable struct embedded in another
 * struct and in a union; global and stack instances and arrays; return and pass by value; &p->field
 * handed to other functions; casts to char * and void *, pointer arithmetic; far pointers kept in
 * globals and in a plain struct; ++, --, compound assignment; and __scope blocks left by every
 * path (return, break, continue, goto out of two nested blocks), __scope_nocache, __nocache. */
#include <far/annotations.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct inner { int a; short b[3]; };
struct __remoteable item {
  long id;
  struct inner in;                 /* plain struct embedded */
  unsigned flag : 1, kind : 4, level : 11;
  signed neg : 5;
  union { long l; double d; char c[8]; } u;
  volatile int vcount;
  const char *label;               /* pointer stored in a far object */
  long (*op)(long, long);          /* function pointer stored in far object */
  struct item *next;
  char pad[900];
};
typedef struct __remoteable { int x, y; char tag[12]; } point;   /* anonymous typedef */
struct outer { struct item it; int extra; };                    /* embeds remoteable */
union either { struct item it; point pt; };                     /* remoteable in union */
typedef struct item item_t;

static long add(long a, long b) { return a + b; }
static long mul(long a, long b) { return a * b; }

struct item stack_template;           /* global instance */
struct item global_arr[4];            /* global array */
static struct item *global_ptr;       /* far pointer in a global */
struct holder { item_t *p; int *field; } holder;  /* far pointers in a plain struct */

static struct item make(long id) {    /* return by value */
  struct item r;
  memset(&r, 0, sizeof r);
  r.id = id; r.in.a = (int)id * 2; r.in.b[1] = (short)id;
  r.flag = id & 1; r.kind = id % 16; r.level = id % 2048; r.neg = -(int)(id % 16);
  r.u.l = id * 3; r.vcount = 0; r.label = "L"; r.op = (id % 2) ? add : mul;
  snprintf(r.pad, sizeof r.pad, "item-%ld", id);
  return r;
}
static long by_value(struct item it) { return it.id + it.in.a + it.kind + it.neg; }
static point pt_make(int x) { point p = {x, -x, "pt"}; return p; }
static long touch_int(int *f) { return (*f)++; }        /* field pointer handed around */
static void bump(long *l) { *l += 7; }
static long sum_bytes(const void *v, size_t n) { const unsigned char *c = v; long s = 0; for (size_t i = 0; i < n; i++) s += c[i]; return s; }

struct __remoteable cell { long v; long hits; struct cell *next; char pad[1000]; };

static long find(struct cell *c, long want) {
  for (; c; c = c->next) {
    __scope {
      if (c->v == want) return c->hits;      /* return out of a scope */
    }
  }
  return -1;
}

static long walk(struct cell **cells, int n) {
  long s = 0;
  for (int i = 0; i < n; i++) {
    __scope {
      if (cells[i]->v % 7 == 0) continue;     /* continue out */
      if (cells[i]->v > 1000000) break;       /* break out */
      __scope {                               /* nested */
        s += cells[i]->v;
        cells[i]->hits++;
        if (cells[i]->v % 13 == 0) goto skip; /* goto out of two scopes */
        __scope_nocache { s += cells[i]->pad[3]; }
      }
      s += 1;
    }
  skip:;
  }
  return s;
}

static long scan(struct cell **cells, int n) {
  long s = 0;
  for (int i = 0; i < n; i++) s += __nocache(cells[i]->v);
  for (int i = 0; i < n; i += 3) __nocache(cells[i]->hits) = 1;
  return s;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 40000;
  item_t **all = malloc(n * sizeof *all);   /* local array of far pointers */
  struct item *prev = NULL;
  for (int i = 0; i < n; i++) {
    item_t *p = (item_t *)malloc(sizeof(item_t));
    *p = make(i);                            /* struct return into far */
    p->next = prev; prev = p;
    all[i] = p;
  }
  global_ptr = all[n / 2];
  holder.p = all[n / 3]; holder.field = &all[n / 3]->in.a;
  long s = 0;
  for (int i = 0; i < n; i++) {
    item_t *p = all[i];
    s += p->op(p->id, 3);                   /* function pointer from far object */
    s += by_value(*p);                      /* pass by value from far */
    s += touch_int(&p->in.a);               /* &p->field to another function */
    bump(&p->u.l);
    s += p->u.l;
    p->vcount++; ++p->vcount; p->vcount--; p->vcount += 5;
    s += p->vcount;
    (*p).in.b[2] = (short)i; s += (*p).in.b[2];
    p->level += 3; p->kind ^= 5; s += p->level + p->kind + p->flag + p->neg;
    char *c = (char *)p; s += c[offsetof(struct item, pad) + 2];  /* cast to char* */
    void *v = p; s += sum_bytes((char *)v + offsetof(struct item, pad), 8); /* void* + arithmetic */
    s += strlen(p->label);
    long *lp = &p->id; lp += 0; s += *lp;
    s += (p + 0)->id;
  }
  /* chains */
  long chain = 0; int hops = 0;
  for (struct item *q = all[n - 1]; q && hops < 1000; q = q->next, hops++) chain += q->next ? q->next->id : 0;
  /* struct copies far <-> stack <-> global arrays */
  struct item local_arr[3];
  local_arr[0] = *all[5]; global_arr[1] = *all[6]; *all[7] = local_arr[0]; *all[8] = global_arr[1];
  stack_template = *all[9];
  s += all[7]->id + all[8]->id + stack_template.id;
  struct outer *o = malloc(sizeof *o); o->it = *all[10]; o->extra = 4; s += o->it.id + o->extra + o->it.in.b[1];
  union either *e = malloc(sizeof *e); e->pt = pt_make(77); s += e->pt.x + e->pt.y + strlen(e->pt.tag);
  e->it = *all[11]; s += e->it.id;
  point *pts = calloc(1000, sizeof(point));
  for (int i = 0; i < 1000; i++) { pts[i] = pt_make(i); pts[i].x += pts[i > 0 ? i - 1 : 0].y; }
  for (int i = 0; i < 1000; i++) s += pts[i].x * 3 + pts[i].y;
  const struct item *cp = all[12]; s += cp->id + cp->in.a;
  volatile struct item *vp = all[13]; vp->id = 1313; s += vp->id;
  s += global_ptr->id + holder.p->id + *holder.field;
  s += sizeof(struct item) + offsetof(struct item, next) + sizeof(point);
  printf("s=%ld chain=%ld hops=%d pad=%s\n", s, chain, hops, all[n - 1]->pad);
  /* scopes over a list of cells (40 MB) */
  struct cell **cells = malloc(n * sizeof *cells), *head = NULL;
  for (int i = 0; i < n; i++) {
    struct cell *c = malloc(sizeof *c);
    c->v = i; c->hits = 0; c->pad[3] = (char)(i % 100); c->next = head; head = c;
    cells[i] = c;
  }
  long t = 0;
  for (int r = 0; r < 2; r++) t += walk(cells, n);
  t += scan(cells, n);
  for (int k = 1; k <= 3; k++) t += find(head, n - k * 17);
  long hits = 0;
  for (int i = 0; i < n; i++) hits += cells[i]->hits;
  printf("scopes t=%ld hits=%ld\n", t, hits);
  for (int i = 0; i < n; i++) free(cells[i]);
  free(cells);
  for (int i = 0; i < n; i++) free(all[i]);
  free(all); free(o); free(e); free(pts);
  return 0;
}
