/* cmd_unet.c - placeholder subcommands of the U-Net (issue 6): each refuses with a clear message
 * until that issue replaces this file. */
#include "cmd/cmd.h"

const char cmd_train_usage[] = "Usage: sarc train COHORT.csv -o MODEL.sarcnet [--preset quick|paper] [--contrasts LIST] [--loss bce|dice|softdice] [--no-skip] [--epochs N] [--batch N] [--lr X] [--resume]\n";

int cmd_train(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (U-Net (issue 6))");
}

const char cmd_segment_usage[] = "Usage: sarc segment --model MODEL.sarcnet --image T1=a.nii.gz --image T1C=b.nii.gz --image T2=c.nii.gz -o MASK.nii.gz [--prob P.nii.gz] [--threshold X]\n       sarc segment --model M --cohort COHORT.csv -o DIR\n";

int cmd_segment(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (U-Net (issue 6))");
}

const char cmd_evaluate_usage[] = "Usage: sarc evaluate PRED.nii.gz LABEL.nii.gz [--prob P.nii.gz] [--json]\n";

int cmd_evaluate(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (U-Net (issue 6))");
}

const char cmd_kfold_usage[] = "Usage: sarc kfold COHORT.csv -o DIR [--folds 5] [train options]\n";

int cmd_kfold(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (U-Net (issue 6))");
}

const char cmd_model_usage[] = "Usage: sarc model init -o M.sarcnet [--contrasts LIST] [--no-skip]\n       sarc model export M.sarcnet DIR\n       sarc model import DIR -o M.sarcnet\n";

int cmd_model(int argc, char **argv)
{
    (void)argc;
    return cmd_failf(argv[0], "not available yet (U-Net (issue 6))");
}
