#!/usr/bin/python3
"""PyTorch 1.13's side of bench_ops.cpp's ops/conv2d/*: F.conv2d at fashion_cnn's two layers (batch 128,
3x3, padding 1, float32) on one thread, forward (under no_grad) and forward + backward (the first layer's
input needs no gradient, the second's does). Prints milliseconds per call (the median of 7 rounds) and GFLOP/s.

Run: OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/conv2d_pytorch.py   (Debian's python3-torch)
"""

import statistics
import time

import torch
import torch.nn.functional as F

LAYERS = [(1, 28, 32, False), (32, 14, 64, True)]  # in channels, size, out channels, input needs grad


def per_call(fn, calls):
    fn()
    rounds = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        rounds.append((time.perf_counter() - start) / calls)
    return statistics.median(rounds)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(1)
    for i, (c, s, o, input_grad) in enumerate(LAYERS, 1):
        x = torch.randn(128, c, s, s, requires_grad=input_grad)
        w = torch.randn(o, c, 3, 3, requires_grad=True)
        b = torch.randn(o, requires_grad=True)
        dy = torch.randn(128, o, s, s)

        def forward():
            with torch.no_grad():
                F.conv2d(x, w, b, padding=1)

        def forward_backward():
            F.conv2d(x, w, b, padding=1).backward(dy)
            w.grad = b.grad = x.grad = None

        flop = 2.0 * 128 * o * c * 9 * s * s
        for name, fn, products in (("forward", forward, 1), ("forward_backward", forward_backward, 3 if input_grad else 2)):
            t = per_call(fn, 10)
            print(f"pytorch/conv2d/{name}/{i}: {t * 1e3:.3f} ms, {products * flop / t / 1e9:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
