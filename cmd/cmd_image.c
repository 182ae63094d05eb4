/* cmd_image.c - placeholder subcommands of the image processing (issue 8): each refuses with a clear message
 * until that issue replaces this file. */
#include "cmd/cmd.h"

const char cmd_n4_usage[] = "Usage: sarc n4 IN -o OUT [--mask M] [--weight-image W] [--bias-out B] [--shrink N] [--iterations 50,50,50,50] [--convergence X] [--fwhm X] [--wiener X] [--bins N] [--mesh X,Y,Z] [--order N] [--preset paper]\n";

int cmd_n4(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (image processing (issue 8))");
}

const char cmd_morph_usage[] = "Usage: sarc morph dilate|erode|open|close IN -o OUT --radius-mm R\n";

int cmd_morph(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (image processing (issue 8))");
}

const char cmd_components_usage[] = "Usage: sarc components IN -o OUT [--largest] [--connectivity 6|18|26] [--fill-holes]\n";

int cmd_components(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (image processing (issue 8))");
}

const char cmd_resample_usage[] = "Usage: sarc resample IN -o OUT --spacing X,Y,Z [--interp nearest|linear|bspline]\n";

int cmd_resample(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (image processing (issue 8))");
}

const char cmd_growcut_usage[] = "Usage: sarc growcut IMAGE --seeds SEEDS -o MASK   (seeds: 1 = tumour, 2 = background, 0 = unknown)\n";

int cmd_growcut(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (image processing (issue 8))");
}
