/* cmd_stats.c - placeholder subcommands of the statistics (issue 9): each refuses with a clear message
 * until that issue replaces this file. */
#include "cmd/cmd.h"

const char cmd_ttest_usage[] = "Usage: sarc ttest PRE.csv POST.csv [--correction holm-sidak|bonferroni|sidak|holm|bh|by] [--alpha 0.05] -o OUT.csv\n";

int cmd_ttest(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (statistics (issue 9))");
}

const char cmd_wilcoxon_usage[] = "Usage: sarc wilcoxon PRE.csv POST.csv [--correction ...] [--alpha 0.05] -o OUT.csv\n";

int cmd_wilcoxon(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (statistics (issue 9))");
}

const char cmd_mrmr_usage[] = "Usage: sarc mrmr FEATURES.csv --label COL [--method MID|MIQ] [--top N] [--discretize T|none] -o RANK.csv\n";

int cmd_mrmr(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (statistics (issue 9))");
}

const char cmd_svm_usage[] = "Usage: sarc svm --train TRAIN.csv --test TEST.csv --label COL [--kernel rbf|linear] [--C 5] [--gamma 0.01] [--tol 1e-3] [--scale] -o PRED.csv\n";

int cmd_svm(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (statistics (issue 9))");
}

const char cmd_mlp_usage[] = "Usage: sarc mlp --train TRAIN.csv --test TEST.csv --label COL [--scale] -o PRED.csv\n";

int cmd_mlp(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (statistics (issue 9))");
}

const char cmd_roc_usage[] = "Usage: sarc roc SCORES.csv --label COL --score COL [-o CURVE.csv]\n";

int cmd_roc(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (statistics (issue 9))");
}

const char cmd_classify_usage[] = "Usage: sarc classify FEATURES.csv --label COL --model svm|mlp [--folds 5] [--repeats 5] [--top N|--search 2:200] -o DIR\n";

int cmd_classify(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (statistics (issue 9))");
}
