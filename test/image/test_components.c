/* test_components.c - connected components, largest component, hole filling and Otsu
 * (image/components.c) against scipy.ndimage.label / binary_fill_holes and
 * skimage.filters.threshold_otsu goldens (test/golden/image/basic.txt), plus hand-made cases. */
#include <math.h>
#include <stdlib.h>

#include "image/components.h"
#include "test/harness.h"
#include "test/image/image_testutil.h"

#define GOLDEN "test/golden/image/basic.txt"

TEST(image_label_scipy_golden)
{
    const int64_t dim[3] = {20, 18, 9};
    const int64_t n = 20 * 18 * 9;
    int64_t ng;
    double *in = golden_section(GOLDEN, "label_in", &ng);
    REQUIRE_MSG(in && ng == n, "golden label_in missing");
    uint8_t *m = malloc((size_t)n);
    int32_t *lab = malloc((size_t)n * sizeof *lab);
    for (int64_t i = 0; i < n; i++)
        m[i] = in[i] != 0;
    const int conns[3] = {6, 18, 26};
    struct sarc_err e = {0};
    for (int c = 0; c < 3; c++) {
        char name[32];
        snprintf(name, sizeof name, "label_%d", conns[c]);
        double *ref = golden_section(GOLDEN, name, &ng);
        CHECK_MSG(ref && ng == n, "golden %s missing", name);
        if (!ref || ng != n) {
            free(ref);
            continue;
        }
        int32_t nc = -1;
        CHECK_OK(components_label(m, dim, conns[c], lab, &nc, &e), e);
        double maxref = 0;
        int64_t nd = 0;
        for (int64_t i = 0; i < n; i++) {
            maxref = ref[i] > maxref ? ref[i] : maxref;
            nd += lab[i] != (int32_t)ref[i];
        }
        CHECK_INT(nc, (int32_t)maxref);
        CHECK_MSG(nd == 0, "connectivity %d: %lld labels differ from scipy", conns[c], (long long)nd);
        free(ref);
    }
    /* largest component: recomputed from the 26-connected golden labels (ties: lowest label) */
    double *ref = golden_section(GOLDEN, "label_26", &ng);
    if (ref) {
        int64_t sizes[4096] = {0};
        int32_t best = 1;
        for (int64_t i = 0; i < n; i++)
            if (ref[i] > 0 && ref[i] < 4096)
                sizes[(int)ref[i]]++;
        for (int32_t c = 2; c < 4096; c++)
            if (sizes[c] > sizes[best])
                best = c;
        CHECK_OK(components_keep_largest(m, dim, 26, &e), e);
        int64_t nd = 0;
        for (int64_t i = 0; i < n; i++)
            nd += m[i] != (ref[i] == best);
        CHECK_MSG(nd == 0, "largest component differs in %lld voxels", (long long)nd);
    }
    free(ref), free(in), free(m), free(lab);
}

TEST(image_label_hand_cases)
{
    /* two voxels touching by a corner: 1 component at 26, 2 at 18 and 6; an edge: 1 at 18 */
    const int64_t dim[3] = {3, 3, 3};
    uint8_t m[27] = {0};
    int32_t lab[27], nc;
    struct sarc_err e = {0};
    m[0] = 1;
    m[1 + 3 * (1 + 3 * 1)] = 1;
    CHECK_OK(components_label(m, dim, 26, lab, &nc, &e), e);
    CHECK_INT(nc, 1);
    CHECK_OK(components_label(m, dim, 18, lab, &nc, &e), e);
    CHECK_INT(nc, 2);
    m[1 + 3 * (1 + 3 * 1)] = 0;
    m[1 + 3 * 1] = 1; /* (1,1,0): edge neighbour of (0,0,0) */
    CHECK_OK(components_label(m, dim, 18, lab, &nc, &e), e);
    CHECK_INT(nc, 1);
    CHECK_OK(components_label(m, dim, 6, lab, &nc, &e), e);
    CHECK_INT(nc, 2);
    CHECK_INT(lab[0], 1);
    CHECK_INT(lab[4], 2);
    /* empty mask; bad connectivity */
    memset(m, 0, sizeof m);
    CHECK_OK(components_label(m, dim, 6, lab, &nc, &e), e);
    CHECK_INT(nc, 0);
    CHECK_OK(components_keep_largest(m, dim, 6, &e), e);
    CHECK(components_label(m, dim, 8, lab, &nc, &e) == SARC_ERR_ARG);
    /* tie for the largest: the lower label wins */
    m[0] = 1;
    m[26] = 1;
    CHECK_OK(components_keep_largest(m, dim, 26, &e), e);
    CHECK(m[0] == 1 && m[26] == 0);
}

TEST(image_fill_holes_scipy_golden)
{
    const int64_t dim[3] = {16, 16, 10};
    const int64_t n = 16 * 16 * 10;
    int64_t ng, ng2;
    double *in = golden_section(GOLDEN, "fill_in", &ng);
    double *ref = golden_section(GOLDEN, "fill_out", &ng2);
    REQUIRE_MSG(in && ref && ng == n && ng2 == n, "golden fill_in/fill_out missing");
    uint8_t *m = malloc((size_t)n);
    for (int64_t i = 0; i < n; i++)
        m[i] = in[i] != 0;
    struct sarc_err e = {0};
    CHECK_OK(components_fill_holes(m, dim, &e), e);
    int64_t nd = 0, filled = 0;
    for (int64_t i = 0; i < n; i++) {
        nd += m[i] != (ref[i] != 0);
        filled += m[i] && !(in[i] != 0);
    }
    CHECK_MSG(nd == 0, "hole filling differs from scipy in %lld voxels", (long long)nd);
    CHECK(filled > 0); /* the case has a real cavity */
    free(m), free(in), free(ref);
}

TEST(image_otsu_skimage_golden)
{
    int64_t ng;
    double *ref = golden_section(GOLDEN, "otsu", &ng);
    REQUIRE_MSG(ref && ng == 2, "golden otsu missing");
    double a1[5000], a2[777];
    for (int i = 0; i < 5000; i++)
        a1[i] = img_hash01((uint64_t)i, 15) < 0.3 ? 20 + 10 * img_hash01((uint64_t)i, 16) : 70 + 25 * img_hash01((uint64_t)i, 17);
    for (int i = 0; i < 777; i++) {
        const double u = img_hash01((uint64_t)i, 18);
        a2[i] = u * u * u * 1000 - 5;
    }
    CHECK_CLOSE(otsu_threshold(a1, 5000, 256), ref[0], 1e-12, 1e-12);
    CHECK_CLOSE(otsu_threshold(a2, 777, 256), ref[1], 1e-12, 1e-12);
    /* constant input: its value; NaN ignored; nothing: NaN */
    double c[3] = {4, NAN, 4};
    CHECK_CLOSE(otsu_threshold(c, 3, 256), 4.0, 0, 0);
    CHECK(isnan(otsu_threshold(c + 1, 1, 256)));
    free(ref);
}
