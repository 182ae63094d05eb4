/* args.c - the one argument loop of the subcommands (see cmd_parse in cmd.h): options from a
 * table, each either taking a value or a flag, plus positional arguments. Repeatable options
 * (e.g. --image K=V) are left to the few commands that have them. Covered by test/cmd/test_cli.c
 * and the CLI tests of each subcommand. */
#include <string.h>

#include "cmd/cmd.h"

int cmd_parse(int argc, char **argv, const struct cmd_opt *opts, const char **pos, int maxpos)
{
    const char *cmd = argv[0];
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const struct cmd_opt *o = NULL;
        for (const struct cmd_opt *p = opts; p && p->name; p++)
            if (!strcmp(a, p->name))
                o = p;
        if (o) {
            if (o->flag) {
                *o->flag = 1;
                continue;
            }
            if (i + 1 >= argc) {
                cmd_failf(cmd, "option %s needs a value", a);
                return -1;
            }
            *o->value = argv[++i];
        } else if (a[0] == '-' && a[1]) {
            cmd_failf(cmd, "unknown option '%s'", a);
            cmd_usage(cmd);
            return -1;
        } else if (npos < maxpos) {
            pos[npos++] = a;
        } else {
            cmd_failf(cmd, "unexpected argument '%s'", a);
            cmd_usage(cmd);
            return -1;
        }
    }
    return npos;
}
