/* cmd_phantom.c - `sarc phantom`: the synthetic mouse-sarcoma cohort with known truth (issue 5).
 * Parses the command line into struct phantom_params and calls phantom_cohort_write and/or
 * phantom_preview_write (image/phantom.h). Covered by test/image/test_phantom.c (end-to-end runs
 * of the binary) and the conformance check check_phantom.py. */
#include <math.h>
#include <stdio.h>

#include "cmd/cmd.h"
#include "image/phantom.h"

const char cmd_phantom_usage[] =
    "Usage: sarc phantom -o DIR [--mice N] [--size X,Y,Z] [--spacing SX,SY,SZ] [--snr S] [--effect E]\n"
    "                    [--motion MM] [--bruker] [--preview DIR] [--seed S] [--threads N]\n"
    "  Generates a synthetic multi-contrast (T1, T1C, T2) mouse hind-limb sarcoma cohort with known\n"
    "  truth: each mouse scanned before (pre) and one week after (post) radiotherapy.\n"
    "  -o DIR          output folder: mNN/{pre,post}_{T1,T1C,T2,label,bias_T1,bias_T1C,bias_T2}.nii.gz,\n"
    "                  cohort.csv (mouse,timepoint,T1,T1C,T2,label,recurrence,growth,bias_*) and\n"
    "                  truth.json (parameters, growth, the recurrence rule and its informative features)\n"
    "  --mice N        cohort size (default 42)\n"
    "  --size X,Y,Z    grid (default 280,280,60); smaller fields of view shrink the anatomy\n"
    "  --spacing S,S,S voxel size in mm (default 0.1,0.1,0.3)\n"
    "  --snr S         muscle signal / Rician noise sigma (default 25; 0 = no noise)\n"
    "  --effect E      recurrence effect size: recurrence = [E * risk + N(0,1) > 0] (default 1.5)\n"
    "  --motion MM     random translation of T1 and T1C relative to T2, at most MM mm (default 0)\n"
    "  --bruker        also write ParaVision studies under DIR/bruker/mNN_{pre,post}/{1,2,3}\n"
    "  --preview DIR   PNG mid-slices (largest tumour section, outline in red) of mouse 1,\n"
    "                  pre and post, every contrast, and montage.png (-o is then optional)\n";

int cmd_phantom(int argc, char **argv)
{
    struct phantom_params p;
    phantom_params_default(&p);
    p.seed = g_opts.seed;
    const char *out = NULL, *preview = NULL, *mice = NULL, *size = NULL, *spacing = NULL, *snr = NULL,
               *effect = NULL, *motion = NULL;
    int bruker = 0;
    const struct cmd_opt opts[] = {{"-o", &out, NULL},          {"--preview", &preview, NULL},
                                   {"--mice", &mice, NULL},     {"--size", &size, NULL},
                                   {"--spacing", &spacing, NULL}, {"--snr", &snr, NULL},
                                   {"--effect", &effect, NULL}, {"--motion", &motion, NULL},
                                   {"--bruker", NULL, &bruker}, {NULL, NULL, NULL}};
    if (cmd_parse(argc, argv, opts, NULL, 0) < 0)
        return 2;
    if (mice) {
        long long n;
        if (opt_int(mice, 1, 9999, &n))
            return cmd_failf("--mice", "'%s' is not an integer in 1..9999", mice);
        p.mice = (int)n;
    }
    if (size) {
        double d[3];
        if (opt_list(size, d, 3))
            return cmd_failf("--size", "'%s' is not X,Y,Z", size);
        for (int k = 0; k < 3; k++) {
            if (!(d[k] >= 8 && d[k] <= 4096) || d[k] != floor(d[k]))
                return cmd_failf("--size", "'%s': each extent must be an integer in 8..4096", size);
            p.dim[k] = (int64_t)d[k];
        }
    }
    if (spacing && opt_list(spacing, p.spacing, 3))
        return cmd_failf("--spacing", "'%s' is not SX,SY,SZ", spacing);
    if (snr && opt_double(snr, &p.snr))
        return cmd_failf("--snr", "'%s' is not a number", snr);
    if (effect && opt_double(effect, &p.effect))
        return cmd_failf("--effect", "'%s' is not a number", effect);
    if (motion && opt_double(motion, &p.motion))
        return cmd_failf("--motion", "'%s' is not a number", motion);
    if (!out && !preview) {
        cmd_failf("phantom", "needs -o DIR (the cohort) or --preview DIR");
        return cmd_usage("phantom");
    }
    struct sarc_err e = {0};
    if (phantom_params_check(&p, &e))
        return cmd_fail("phantom", &e);
    if (out) {
        cmd_note("phantom: %d mice x 2 timepoints, %lldx%lldx%lld at %gx%gx%g mm, seed %llu -> %s", p.mice,
                 (long long)p.dim[0], (long long)p.dim[1], (long long)p.dim[2], p.spacing[0], p.spacing[1],
                 p.spacing[2], (unsigned long long)p.seed, out);
        if (phantom_cohort_write(&p, out, bruker, &e))
            return cmd_fail(out, &e);
    }
    if (preview && phantom_preview_write(&p, 0, preview, &e))
        return cmd_fail(preview, &e);
    return 0;
}
