/* Records embedded in remoteable records, arrays of them, unions and bit-fields inside, struct
 * copies, pass and return by value: a particle simulation over a far array of particles. */
#include <far/annotations.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vec { double x, y, z; };
struct body { struct vec position, velocity; double mass; };

struct __remoteable particle {
  struct body body;                 /* embedded record */
  struct vec history[4];            /* array of records */
  unsigned alive : 1, bounces : 7, group : 8;
  union { long tag; double charge; } u;
};

static struct vec add(struct vec a, struct vec b) { return (struct vec){a.x + b.x, a.y + b.y, a.z + b.z}; }
static struct vec scale(struct vec v, double k) { return (struct vec){v.x * k, v.y * k, v.z * k}; }

static struct body step(struct body b, double dt) {
  b.position = add(b.position, scale(b.velocity, dt));
  if (b.position.y < 0) {
    b.position.y = -b.position.y;
    b.velocity.y = -b.velocity.y * 0.9;
  }
  b.velocity.y -= 9.81 * dt;
  return b;
}

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  const long N = 120000 * scale;
  enum { STEPS = 3 };
  struct particle *p = calloc(N, sizeof *p);
  for (int i = 0; i < N; i++) {
    struct body b = {{i % 100, 10 + i % 7, i % 13}, {0.5, (i % 5) - 2.0, -0.25}, 1 + i % 3};
    p[i].body = b;
    p[i].alive = 1;
    p[i].group = i % 200;
    p[i].u.charge = (i % 2 ? 1.5 : -1.5);
  }
  for (int s = 0; s < STEPS; s++)
    for (int i = 0; i < N; i++) {
      struct particle *q = &p[i];
      double y = q->body.position.y;
      q->body = step(q->body, 0.1);
      q->history[s % 4] = q->body.position;
      if (q->body.position.y > y && q->bounces < 127) q->bounces++;
    }
  struct particle copy = p[N / 2]; /* far -> stack copy */
  p[0] = copy;                     /* stack -> far copy */
  double energy = 0, charge = 0;
  long bounces = 0, groups = 0;
  for (int i = 0; i < N; i++) {
    struct vec v = p[i].body.velocity;
    energy += 0.5 * p[i].body.mass * (v.x * v.x + v.y * v.y + v.z * v.z);
    charge += p[i].u.charge;
    bounces += p[i].bounces;
    groups += p[i].group + p[i].alive;
  }
  printf("energy %.4f charge %.1f bounces %ld groups %ld\n", energy, charge, bounces, groups);
  printf("p0 %.3f %.3f %.3f h %.3f\n", p[0].body.position.x, p[0].body.position.y,
         p[0].body.position.z, p[0].history[1].y);
  free(p);
  return 0;
}
