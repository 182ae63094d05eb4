/* cmd_io.c - placeholder subcommands of the foundation (issue 2): each refuses with a clear message
 * until that issue replaces this file. */
#include "cmd/cmd.h"

const char cmd_info_usage[] = "Usage: sarc info FILE...\n  Format, dims, spacing, datatype, scaling, affine and min/max/mean/std of each image.\n";

int cmd_info(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (foundation (issue 2))");
}

const char cmd_convert_usage[] = "Usage: sarc convert IN OUT [--type uint8|int16|float32] [--frame K]\n  Converts between formats chosen by extension (.nii, .nii.gz, .nrrd; Bruker folders as input).\n";

int cmd_convert(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (foundation (issue 2))");
}

const char cmd_audit_usage[] = "Usage: sarc audit show FILE\n  Prints an audit trail (JSON Lines) readably.\n";

int cmd_audit(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (foundation (issue 2))");
}
