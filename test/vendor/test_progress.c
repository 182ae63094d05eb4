/* test_progress.c - the progress line's rate and ETA formatting. */
#include "test/harness.h"
#include "vendor/progress.h"

TEST(progress_format_rate_eta)
{
    char b[256];
    progress_format(b, sizeof b, "train", 25, 100, "patches", 5.0);
    CHECK_STR(b, "train 25/100 patches  5/s  ETA 00:15");
    progress_format(b, sizeof b, "n4", 0, 10, NULL, 0.0);
    CHECK_STR(b, "n4 0/10 items  0/s  ETA --:--");
    progress_format(b, sizeof b, "kfold", 1, 1000, "epochs", 10.0);
    CHECK_STR(b, "kfold 1/1000 epochs  0.1/s  ETA 2h46m");
    struct progress p;
    progress_set_quiet(1);
    progress_begin(&p, "x", 3, NULL);
    CHECK(!p.enabled);
    progress_add(&p, 2);
    CHECK_INT(p.done, 2);
    progress_end(&p);
    CHECK(time_now() > 0);
}
