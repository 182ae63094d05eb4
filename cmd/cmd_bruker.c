/* cmd_bruker.c - placeholder subcommands of the readers (issue 3): each refuses with a clear message
 * until that issue replaces this file. */
#include "cmd/cmd.h"

const char cmd_params_usage[] = "Usage: sarc params FILE [NAME...]\n  Prints the parsed JCAMP-DX parameters of a ParaVision parameter file (all, or the named ones).\n";

int cmd_params(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (readers (issue 3))");
}

const char cmd_scan_usage[] = "Usage: sarc scan STUDY_DIR\n  Lists the experiments of a Bruker study folder: number, method, dims, spacing, frames, time.\n";

int cmd_scan(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (readers (issue 3))");
}
