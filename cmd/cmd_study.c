/* cmd_study.c - placeholder subcommands of the whole-study pipeline (a later issue): each refuses with a clear message
 * until that issue replaces this file. */
#include "cmd/cmd.h"

const char cmd_study_usage[] = "Usage: sarc study COHORT.csv -o DIR\n  The whole study on a cohort (not available yet).\n";

int cmd_study(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (whole-study pipeline (a later issue))");
}
