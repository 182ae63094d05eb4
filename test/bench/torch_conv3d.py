#!/usr/bin/env python3
"""torch_conv3d.py - the PyTorch CPU peer of test/bench/conv3d.c: times F.conv3d /
F.conv_transpose3d forward, backward-data and backward-weights (float32, kernel 3, stride 1,
no padding, no bias) at the U-Net layer shapes given on the command line, with a fixed thread
count. Prints one line per measurement: "<case> <direction> <min seconds> <median seconds>".
Usage: torch_conv3d.py THREADS REPEATS CASE... where CASE = kind:N:C:D:H:W:OC, kind conv|convt.
"""
import statistics
import sys
import time

import torch
import torch.nn.functional as F


def timeit(fn, repeats):
    fn()  # warm-up
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), statistics.median(ts)


def main():
    threads, repeats = int(sys.argv[1]), int(sys.argv[2])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    print("# torch %s, %d threads" % (torch.__version__, torch.get_num_threads()), flush=True)
    for i, case in enumerate(sys.argv[3:]):
        kind, *dims = case.split(":")
        N, C, D, H, W, OC = map(int, dims)
        x = torch.randn(N, C, D, H, W)
        if kind == "conv":
            w = torch.randn(OC, C, 3, 3, 3) * 0.1
            op = F.conv3d
        else:
            w = torch.randn(C, OC, 3, 3, 3) * 0.1
            op = F.conv_transpose3d
        with torch.no_grad():
            y = op(x, w)
        dy = torch.randn_like(y)
        xg = x.clone().requires_grad_(True)
        wg = w.clone().requires_grad_(True)

        def fwd():
            with torch.no_grad():
                op(x, w)

        # graphs recorded once; each timed call runs only the backward of one input
        yd = op(xg, w)
        yw = op(x, wg)

        def bwd_data():
            torch.autograd.grad(yd, xg, dy, retain_graph=True)

        def bwd_weight():
            torch.autograd.grad(yw, wg, dy, retain_graph=True)

        tf = timeit(fwd, repeats)
        td = timeit(bwd_data, repeats)
        tw = timeit(bwd_weight, repeats)
        print("%d forward %.6f %.6f" % (i, tf[0], tf[1]))
        print("%d backward-data %.6f %.6f" % (i, td[0], td[1]))
        print("%d backward-weights %.6f %.6f" % (i, tw[0], tw[1]))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
