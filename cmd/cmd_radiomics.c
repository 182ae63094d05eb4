/* cmd_radiomics.c - placeholder subcommands of the radiomics (issue 7): each refuses with a clear message
 * until that issue replaces this file. */
#include "cmd/cmd.h"

const char cmd_radiomics_usage[] = "Usage: sarc radiomics IMAGE MASK [--params FILE.yaml] [--label N] [--setting NAME=VALUE]... -o OUT.csv|OUT.json\n       sarc radiomics --batch CASES.csv [--params FILE.yaml] [--threads N] -o OUT.csv\n";

int cmd_radiomics(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (radiomics (issue 7))");
}

const char cmd_regions_usage[] = "Usage: sarc regions --mask TUMOUR --image IMAGE -o DIR [--margin-mm 3] [--air-threshold median|otsu|none|VALUE]\n";

int cmd_regions(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (radiomics (issue 7))");
}

const char cmd_featuremap_usage[] = "Usage: sarc featuremap IMAGE MASK -o DIR [--kernel-radius R] [--params FILE.yaml]\n";

int cmd_featuremap(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (radiomics (issue 7))");
}
