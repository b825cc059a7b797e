// OpenMP wait policy: oneDNN's Debian build runs its threads on GNU libgomp, whose idle workers
// spin (busy-wait up to GOMP_SPINCOUNT iterations, 300,000 by default, far longer with
// OMP_WAIT_POLICY=active) before they sleep. On a shared or oversubscribed machine that spinning
// is most of the CPU time of a 2-thread run (measured: a 2-thread transformer pass costs ~10x
// the CPU of a 1-thread one with the default, about the same with passive waiting;
// Docs/Benchmarks.md). So the engine makes idle workers sleep at once
// (OMP_WAIT_POLICY=passive, which also sets the spin count to 0), without the user setting
// anything.
//
// libgomp reads its variables once, in its own ELF constructor, which runs before any code of
// ours, and keeps them in hidden variables; a setenv from our code, even from the executable's
// .preinit_array (which runs before the shared libraries' constructors, but also before libc's,
// whose start-up then resets `environ`), does not reach it. What does: the .preinit_array entry
// below, when neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT is set, re-executes the same program
// (/proc/self/exe, same arguments) with OMP_WAIT_POLICY=PASSIVE and MASKGIT_OMP_WAIT=engine
// added to its environment, before any other code has run (no library constructor, no I/O yet).
// The re-executed process finds the variable set and runs normally; child processes inherit the
// passive policy. If the exec fails (no /proc), the program runs on with libgomp's default.
// A user's own OMP_WAIT_POLICY or GOMP_SPINCOUNT is kept as given; MASKGIT_OMP_WAIT=default
// opts out (for measuring the spinning default). `mgk_omp_wait_policy` says which applies.
//
// .preinit_array is honoured in executables only (every product and test runner of this package
// links this object into its executable); in a shared object it would be ignored.

#include "DNNLKernels.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_policy = MGK_OMP_WAIT_DEFAULT;

static const char kPolicy[] = "OMP_WAIT_POLICY=PASSIVE";
static const char kMarker[] = "MASKGIT_OMP_WAIT=engine";

static int starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void mgk_preinit_wait_policy(int argc, char **argv, char **envp) {
    (void)argc;
    int user = 0, ours = 0, optOut = 0;
    size_t count = 0;
    for (char **e = envp; e && *e; e++, count++) {
        if (!strcmp(*e, kMarker)) ours = 1;
        else if (starts_with(*e, "MASKGIT_OMP_WAIT=")) optOut = 1;
        else if (starts_with(*e, "OMP_WAIT_POLICY=") || starts_with(*e, "GOMP_SPINCOUNT=")) user = 1;
    }
    if (ours && user) { g_policy = MGK_OMP_WAIT_PASSIVE; return; }  // set by our re-exec
    if (user) { g_policy = MGK_OMP_WAIT_USER; return; }
    if (optOut || !argv || !argv[0]) return;
    // No malloc this early: the new environment lives on the stack (the exec copies it).
    if (count > 4096) return;
    char *env[count + 3];
    for (size_t i = 0; i < count; i++) env[i] = envp[i];
    env[count] = (char *)kPolicy;
    env[count + 1] = (char *)kMarker;
    env[count + 2] = NULL;
    execve("/proc/self/exe", argv, env);
    // exec failed: run on with libgomp's default.
}

#if defined(__ELF__)
__attribute__((section(".preinit_array"), used))
static void (*const mgk_preinit_entry)(int, char **, char **) = mgk_preinit_wait_policy;
#endif

int mgk_omp_wait_policy(void) { return g_policy; }
