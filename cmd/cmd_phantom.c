/* cmd_phantom.c - `sarc phantom`: the synthetic mouse-sarcoma cohort with known truth (issue 5).
 * Parses the command line into struct phantom_params and calls phantom_cohort_write and/or
 * phantom_preview_write (image/phantom.h). Covered by test/image/test_phantom.c (end-to-end runs
 * of the binary) and the conformance check check_phantom.py. */
#include <math.h>
#include <stdio.h>
#include <string.h>

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
    const char *out = NULL, *preview = NULL;
    int bruker = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const int has_val = i + 1 < argc;
        if (!strcmp(a, "--bruker")) {
            bruker = 1;
            continue;
        }
        if (strcmp(a, "-o") && strcmp(a, "--mice") && strcmp(a, "--size") && strcmp(a, "--spacing") &&
            strcmp(a, "--snr") && strcmp(a, "--effect") && strcmp(a, "--motion") && strcmp(a, "--preview")) {
            cmd_failf(a, "unknown option or argument of sarc phantom");
            return cmd_usage("phantom");
        }
        if (!has_val)
            return cmd_failf(a, "needs a value");
        const char *v = argv[++i];
        if (!strcmp(a, "-o"))
            out = v;
        else if (!strcmp(a, "--preview"))
            preview = v;
        else if (!strcmp(a, "--mice")) {
            long long n;
            if (opt_int(v, 1, 9999, &n))
                return cmd_failf("--mice", "'%s' is not an integer in 1..9999", v);
            p.mice = (int)n;
        } else if (!strcmp(a, "--size")) {
            double d[3];
            if (opt_list(v, d, 3))
                return cmd_failf("--size", "'%s' is not X,Y,Z", v);
            for (int k = 0; k < 3; k++) {
                if (!(d[k] >= 8 && d[k] <= 4096) || d[k] != floor(d[k]))
                    return cmd_failf("--size", "'%s': each extent must be an integer in 8..4096", v);
                p.dim[k] = (int64_t)d[k];
            }
        } else if (!strcmp(a, "--spacing")) {
            if (opt_list(v, p.spacing, 3))
                return cmd_failf("--spacing", "'%s' is not SX,SY,SZ", v);
        } else if (!strcmp(a, "--snr")) {
            if (opt_double(v, &p.snr))
                return cmd_failf("--snr", "'%s' is not a number", v);
        } else if (!strcmp(a, "--effect")) {
            if (opt_double(v, &p.effect))
                return cmd_failf("--effect", "'%s' is not a number", v);
        } else if (!strcmp(a, "--motion")) {
            if (opt_double(v, &p.motion))
                return cmd_failf("--motion", "'%s' is not a number", v);
        }
    }
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
