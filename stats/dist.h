/* dist.h - the distribution functions the tests need: the regularised incomplete beta function,
 * Student's t and the standard normal distribution.
 *
 * Accuracy target: 1e-10 relative against SciPy (scipy.special.betainc, scipy.stats.t.sf/cdf) for
 * df 1..1e6 and |t| from 1e-8 to 1e8 (Boost's ibeta is SciPy's back end). Covered by
 * test/stats/test_dist.c (goldens test/golden/stats/dist.txt from test/oracles/stats_dist.py). */
#ifndef SARC_STATS_DIST_H
#define SARC_STATS_DIST_H

/* I_x(a, b) for a, b > 0 and 0 <= x <= 1; NaN for arguments outside that range. */
double beta_inc(double a, double b, double x);
/* I_x(a, b) and its complement 1 - I_x(a, b) = I_{1-x}(b, a), given x and y = 1 - x separately
 * so that neither loses precision near 0 or 1. */
void beta_inc_pair(double a, double b, double x, double y, double *ix, double *iy);

/* Student's t with df > 0 degrees of freedom: P(T > t) and P(T <= t); NaN for NaN or df <= 0. */
double t_sf(double t, double df);
double t_cdf(double t, double df);
/* Two-sided p-value 2 * P(T > |t|), computed without cancellation (= I_{df/(df+t^2)}(df/2, 1/2)). */
double t_p_two_sided(double t, double df);

/* Standard normal: P(Z > z) and P(Z <= z) (erfc based, accurate in the tails). */
double norm_sf(double z);
double norm_cdf(double z);

#endif
