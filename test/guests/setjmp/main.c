/* setjmp/longjmp out of deep recursion, and two coroutines on their own stacks switched by hand. */
#include "runtime.h"

typedef uint32_t jmp_buf[6];
int my_setjmp(jmp_buf env) __attribute__((returns_twice));
void my_longjmp(jmp_buf env, int value) NORETURN;
void switch_stack(uint32_t *save_sp, uint32_t new_sp);

static jmp_buf env;
static volatile int depth_reached;

static NOINLINE int recurse(int depth, int target)
{
    volatile char frame[32];
    frame[0] = (char)depth;
    depth_reached = depth;
    if (depth == target)
        my_longjmp(env, depth * 10);
    return recurse(depth + 1, target) + frame[0];
}

/* Coroutines: main and two workers, each yielding back to main. */
static uint32_t main_sp, worker_sp[2];
static uint8_t worker_stack[2][4096] ALIGNED(16);
static int current;
static char trace[128];
static int trace_len;

static void yield_to_main(void) { switch_stack(&worker_sp[current], main_sp); }

static void note(char c)
{
    if (trace_len < (int)sizeof trace - 1)
        trace[trace_len++] = c;
}

static void worker(void)
{
    int me = current;
    uint32_t local = 0x1000 * (me + 1);
    for (int i = 0; i < 4; i++) {
        local += i;
        printf("worker %d step %d local %x esp-in-own-stack %d\n", me, i, local,
               (uint32_t)&local >= (uint32_t)worker_stack[me] && (uint32_t)&local < (uint32_t)worker_stack[me] + 4096);
        note((char)('a' + me * 4 + i));
        yield_to_main();
    }
    printf("worker %d done\n", me);
    note((char)('X' + me));
    for (;;)
        yield_to_main();
}

/* A fresh stack whose first switch_stack "returns" into worker with zeroed callee-saved registers. */
static uint32_t prepare(int w)
{
    uint32_t *sp = (uint32_t *)(worker_stack[w] + sizeof worker_stack[w]);
    *--sp = 0;                 /* worker's (never used) return address */
    *--sp = (uint32_t)worker;  /* ret target */
    for (int i = 0; i < 4; i++)
        *--sp = 0;             /* ebp, ebx, esi, edi */
    return (uint32_t)sp;
}

int main(void)
{
    volatile int rounds = 0;
    int v = my_setjmp(env);
    printf("setjmp returned %d (round %d, depth %d)\n", v, rounds, depth_reached);
    if (rounds < 3) {
        rounds++;
        recurse(0, rounds * 5);
    }
    check(v == 150 && rounds == 3 && depth_reached == 15, "longjmp out of recursion thrice, values 50 100 150");

    jmp_buf zero;
    volatile int once = 0;
    int z = my_setjmp(zero);
    if (!once) {
        once = 1;
        my_longjmp(zero, 0);
    }
    check(z == 1, "longjmp with 0 makes setjmp return 1");

    for (int w = 0; w < 2; w++)
        worker_sp[w] = prepare(w);
    for (int round = 0; round < 5; round++)
        for (int w = 0; w < 2; w++) {
            current = w;
            note((char)('0' + round));
            switch_stack(&main_sp, worker_sp[w]);
        }
    trace[trace_len] = 0;
    printf("trace %s\n", trace);
    check(strcmp(trace, "0a0e1b1f2c2g3d3h4X4Y") == 0, "coroutines interleave in order");
    return finish();
}
