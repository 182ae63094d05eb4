/* test_volume.c - io/volume: allocation limits (ndim, dims, voxel count), layout (x fastest),
 * statistics (population std, NaN excluded; hand-computed values), spacing and geometry helpers,
 * clone, and the vtype tables. */
#include <stdlib.h>

#include "io/volume.h"
#include "test/harness.h"

TEST(volume_alloc_limits)
{
    struct volume v = {0};
    struct sarc_err e = {0};
    int64_t d[4] = {4, 3, 2, 5};
    REQUIRE_OK(volume_alloc(&v, 4, d, &e), e);
    CHECK_INT(volume_count(&v), 120);
    CHECK_INT(volume_frame_count(&v), 24);
    CHECK(v.data[119] == 0 && v.affine[0][0] == 1 && v.spacing[2] == 1);
    volume_free(&v);
    CHECK(v.data == NULL);
    int64_t bad0[4] = {4, 0, 2, 1}, badneg[4] = {-1, 3, 2, 1}, huge[4] = {1 << 20, 1 << 20, 1 << 20, 1};
    CHECK_INT(volume_alloc(&v, 3, bad0, &e), SARC_ERR_RANGE);
    CHECK_INT(volume_alloc(&v, 3, badneg, &e), SARC_ERR_RANGE);
    CHECK_INT(volume_alloc(&v, 3, huge, &e), SARC_ERR_RANGE);
    CHECK_INT(volume_alloc(&v, 5, d, &e), SARC_ERR_RANGE);
    CHECK_INT(volume_alloc(&v, 0, d, &e), SARC_ERR_RANGE);
    CHECK(v.data == NULL);
    /* dims beyond ndim are 1 */
    REQUIRE_OK(volume_alloc(&v, 2, d, &e), e);
    CHECK(v.dim[2] == 1 && v.dim[3] == 1 && volume_count(&v) == 12);
    volume_free(&v);
}

TEST(volume_stats_values)
{
    double x[6] = {1, 2, NAN, 4, 5, 8};
    struct vstats s;
    array_stats(x, 6, &s);
    CHECK_INT(s.count, 5);
    CHECK_INT(s.nan_count, 1);
    CHECK_CLOSE(s.min, 1, 0, 0);
    CHECK_CLOSE(s.max, 8, 0, 0);
    CHECK_CLOSE(s.mean, 4, 0, 0);
    CHECK_CLOSE(s.std, sqrt(6.0), 1e-15, 0); /* (9 + 4 + 0 + 1 + 16) / 5 = 6 */
    double nan2[2] = {NAN, NAN};
    array_stats(nan2, 2, &s);
    CHECK(s.count == 0 && isnan(s.mean) && isnan(s.std));
}

TEST(volume_geometry_helpers)
{
    struct volume a = {0}, b = {0};
    struct sarc_err e = {0};
    int64_t d[4] = {5, 4, 3, 2};
    REQUIRE_OK(volume_alloc(&a, 4, d, &e), e);
    for (int64_t i = 0; i < volume_count(&a); i++)
        a.data[i] = (double)i;
    /* layout: (i, j, k, t) at i + 5 (j + 4 (k + 3 t)) */
    CHECK(a.data[2 + 5 * (1 + 4 * (2 + 3 * 1))] == 2 + 5 * (1 + 4 * (2 + 3 * 1)));
    const double sp[3] = {0.5, 0.25, 2}, org[3] = {1, 2, 3};
    volume_set_spacing(&a, sp, org);
    CHECK(a.affine[1][1] == 0.25 && a.affine[2][3] == 3 && a.sform_code == 1);
    double z[3];
    volume_spacing_from_affine(a.affine, z);
    CHECK(z[0] == 0.5 && z[1] == 0.25 && z[2] == 2);
    REQUIRE_OK(volume_clone(&b, &a, &e), e);
    CHECK(b.data != a.data && memcmp(b.data, a.data, sizeof(double) * 120) == 0);
    CHECK(volume_same_grid(&a, &b, 1e-9));
    b.affine[0][3] += 0.1;
    CHECK(!volume_same_grid(&a, &b, 1e-3));
    volume_free(&b);
    REQUIRE_OK(volume_alloc_like(&b, &a, &e), e);
    CHECK(b.ndim == 3 && b.dim[3] == 1 && b.dim[2] == 3 && b.affine[0][0] == 0.5);
    volume_free(&b);
    volume_free(&a);
}

TEST(volume_vtype_tables)
{
    CHECK_STR(vtype_name(VT_I16), "int16");
    CHECK_STR(vtype_name((enum vtype)99), "unknown");
    CHECK_INT(vtype_size(VT_F64), 8);
    CHECK_INT(vtype_size(VT_U16), 2);
    CHECK(vtype_is_int(VT_U8) && !vtype_is_int(VT_F32));
    double lo, hi;
    CHECK(vtype_range(VT_I16, &lo, &hi) && lo == -32768 && hi == 32767);
    CHECK(!vtype_range(VT_F32, &lo, &hi));
}
