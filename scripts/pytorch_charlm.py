#!/usr/bin/python3
"""PyTorch's side of the charlm benchmark (bench/charlm.hpp): Embedding(96, 64) - LSTM(64, 256, batch_first) -
Linear(256, 96) at every position, 32 sequences of 64 characters, cross-entropy over all positions, Adam lr 2e-3,
gradients clipped to norm 5, one fixed random batch, in PyTorch 1.13 eager (Debian's python3-torch) on one
thread. Prints the median and range of the step time over the timed steps, to set beside
train_step/autograd/charlm and train_step/libtorch/charlm from tapegrad_bench.

    /usr/bin/python3 scripts/pytorch_charlm.py [--steps N] [--warmup N]
"""

import argparse
import statistics
import time

import torch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(1)
    batch, steps, vocab = 32, 64, 96
    text = torch.randint(0, vocab, (batch, steps + 1))
    inputs, targets = text[:, :-1], text[:, 1:].reshape(-1)
    nn = torch.nn
    embedding, lstm, head = nn.Embedding(vocab, 64), nn.LSTM(64, 256, batch_first=True), nn.Linear(256, vocab)
    params = [*embedding.parameters(), *lstm.parameters(), *head.parameters()]
    optimizer = torch.optim.Adam(params, lr=2e-3)

    def step():
        optimizer.zero_grad()
        out, _ = lstm(embedding(inputs))
        loss = nn.functional.cross_entropy(head(out.reshape(-1, 256)), targets)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 5.0)
        optimizer.step()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        step()
        times.append((time.perf_counter() - start) * 1e3)
    print(f"pytorch_charlm: torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.steps} steps: "
          f"median {statistics.median(times):.1f} ms ({min(times):.1f}-{max(times):.1f})")


if __name__ == "__main__":
    main()
