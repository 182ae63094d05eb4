/* cmd_phantom.c - placeholder subcommands of the phantom (issue 5): each refuses with a clear message
 * until that issue replaces this file. */
#include "cmd/cmd.h"

const char cmd_phantom_usage[] = "Usage: sarc phantom -o DIR [--mice N] [--size X,Y,Z] [--spacing SX,SY,SZ] [--snr S] [--effect E] [--bruker] [--preview DIR] [--seed S] [--threads N]\n  Generates a synthetic multi-contrast mouse-sarcoma cohort with known truth.\n";

int cmd_phantom(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (phantom (issue 5))");
}
