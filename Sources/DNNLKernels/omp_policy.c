// OpenMP wait policy: oneDNN's Debian build runs its threads on GNU libgomp, whose idle workers
// spin (busy-wait up to GOMP_SPINCOUNT iterations, 300,000 by default, and far longer with
// OMP_WAIT_POLICY=active) before they sleep. The machines this engine runs on are shared, so
// the engine makes them sleep at once (OMP_WAIT_POLICY=passive), without the user setting
// anything: libgomp reads its variables once, in its own constructor, before any code of ours
// could run, except an entry in the executable's .preinit_array, which the dynamic loader calls
// before it initialises any shared library. There the variable is added to the environment that
// libgomp will read, unless the user chose a policy or a spin count (kept as given). glibc's
// start code then points `environ` back at the original block, so the variable does not show
// in getenv or reach child processes; `mgk_omp_wait_policy` says what was done.
//
// .preinit_array is honoured in executables only (every product and test runner of this
// package links this object into its executable); in a shared object it would be ignored and
// libgomp keeps its default.

#include "DNNLKernels.h"

#include <stdlib.h>

static int g_policy = MGK_OMP_WAIT_DEFAULT;

static void mgk_preinit_wait_policy(int argc, char **argv, char **envp) {
    (void)argc;
    (void)argv;
    for (char **e = envp; e && *e; e++) {
        const char *s = *e;
        // A user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT wins.
        if (!__builtin_strncmp(s, "OMP_WAIT_POLICY=", 16) || !__builtin_strncmp(s, "GOMP_SPINCOUNT=", 15)) {
            g_policy = MGK_OMP_WAIT_USER;
            return;
        }
    }
    if (setenv("OMP_WAIT_POLICY", "PASSIVE", 0) == 0) g_policy = MGK_OMP_WAIT_PASSIVE;
}

#if defined(__ELF__)
__attribute__((section(".preinit_array"), used))
static void (*const mgk_preinit_entry)(int, char **, char **) = mgk_preinit_wait_policy;
#endif

int mgk_omp_wait_policy(void) { return g_policy; }
