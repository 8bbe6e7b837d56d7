/* The account type and the helpers of lib.c, which only ever see plain int / long / char
 * pointers into far accounts (field addresses handed across files). */
#include <far/annotations.h>
#include <stddef.h>

struct __remoteable account {
  long balance;
  int history[240];
  char owner[40];
  struct account *referrer;
};

void deposit(long *balance, long amount);
void record(int *history, size_t len, int value);
long sum_ints(const int *values, size_t len);
void set_owner(char *owner, size_t size, int id);
size_t owner_length(const char *owner);
void copy_history(int *dst, const int *src, size_t len);
