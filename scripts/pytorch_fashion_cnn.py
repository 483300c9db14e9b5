#!/usr/bin/python3
"""PyTorch's side of the fashion_cnn comparison: examples/fashion_cnn.cpp's network, data and training in
PyTorch 1.13 (Debian's python3-torch), on one thread, printing the same per-epoch line (training loss, test
accuracy, wall time of the epoch's training steps). Run both in one session and compare the times.

    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 scripts/pytorch_fashion_cnn.py [--epochs N] [--seed S]

conv(1->32, 3x3, pad 1) - ReLU - maxpool 2 - conv(32->64, 3x3, pad 1) - ReLU - maxpool 2 - flatten -
Linear(3136->128) - ReLU - Linear(128->10), cross-entropy, Adam lr 1e-3, batch 128, shuffled each epoch,
pixels divided by 255, Fashion-MNIST from /usr/share/datasets/fashion-mnist (dataset-fashion-mnist).
"""

import argparse
import gzip
import pathlib
import struct
import time

import torch

FOLDER = pathlib.Path("/usr/share/datasets/fashion-mnist")


def read_idx(path):
    """An IDX file (gzip-compressed) as a uint8 tensor of its shape."""
    data = gzip.decompress(path.read_bytes())
    _, _, _, rank = struct.unpack(">BBBB", data[:4])
    shape = struct.unpack(">" + "I" * rank, data[4:4 + 4 * rank])
    return torch.frombuffer(bytearray(data[4 + 4 * rank:]), dtype=torch.uint8).reshape(shape)


def load(prefix):
    images = read_idx(FOLDER / f"{prefix}-images-idx3-ubyte.gz").float().div_(255).unsqueeze(1)
    labels = read_idx(FOLDER / f"{prefix}-labels-idx1-ubyte.gz").long()
    return images, labels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    train_x, train_y = load("train")
    test_x, test_y = load("t10k")
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(f"pytorch_fashion_cnn: torch {torch.__version__}, {torch.get_num_threads()} thread(s)", flush=True)
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(len(train_x))
        loss_sum, steps = 0.0, 0
        for i in range(0, len(order), 128):
            batch = order[i:i + 128]
            loss = nn.functional.cross_entropy(model(train_x[batch]), train_y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_sum += loss.item()
            steps += 1
        seconds = time.perf_counter() - start
        with torch.no_grad():
            model.eval()
            correct = sum((model(test_x[i:i + 1000]).argmax(1) == test_y[i:i + 1000]).sum().item()
                          for i in range(0, len(test_x), 1000))
            model.train()
        print(f"epoch {epoch:2d}  training loss {loss_sum / steps:.4f}  test accuracy {correct / len(test_x):.4f}"
              f"  {seconds:.1f} s", flush=True)


if __name__ == "__main__":
    main()
