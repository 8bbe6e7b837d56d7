/* Field pointers passed between files: &a->balance, a->history, a->owner go to lib.c. */
#include "account.h"

#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  /* argv[1]: workload scale (benchmarks/overhead runs larger workloads) */
  const long scale = argc > 1 ? atol(argv[1]) : 1;
  const int N = 16000 * (int)scale;
  struct account **accounts = malloc(N * sizeof *accounts);
  for (int i = 0; i < N; i++) {
    struct account *a = calloc(1, sizeof *a);
    set_owner(a->owner, sizeof a->owner, i);
    a->referrer = i ? accounts[(i * 7) % i] : NULL;
    accounts[i] = a;
  }
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < N; i++) {
      struct account *a = accounts[i];
      deposit(&a->balance, i % 97 + round);
      record(a->history, 240, i + round);
      if (a->referrer) deposit(&a->referrer->balance, 1);
    }
  copy_history(accounts[1]->history, accounts[2]->history, 240);
  long balances = 0, histories = 0, owners = 0;
  for (int i = 0; i < N; i++) {
    balances += accounts[i]->balance;
    histories += sum_ints(accounts[i]->history, 240);
    owners += owner_length(accounts[i]->owner);
  }
  printf("balances %ld histories %ld owners %ld\n", balances, histories, owners);
  printf("%s %s\n", accounts[N - 1]->owner, accounts[1]->referrer->owner);
  return 0;
}
