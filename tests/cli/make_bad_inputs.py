#!/usr/bin/env python3
"""Writes the malformed data files that tests/compare_optimizers.cmake feeds to compare_optimizers.

Usage: make_bad_inputs.py OUTPUT_DIR
Each case is a CSV file, a folder of MNIST-format files or a safetensors file with exactly one thing wrong.
"""
import gzip
import json
import os
import struct
import sys


def idx_images(count, rows=2, cols=2, magic=0x803):
    return struct.pack(">IIII", magic, count, rows, cols) + bytes(range(count * rows * cols))


def idx_labels(labels, magic=0x801):
    return struct.pack(">II", magic, len(labels)) + bytes(labels)


def mnist_folder(root, name, images, labels):
    folder = os.path.join(root, name)
    os.makedirs(folder, exist_ok=True)
    for prefix in ("train", "t10k"):
        with open(os.path.join(folder, f"{prefix}-images-idx3-ubyte"), "wb") as f:
            f.write(images)
        with gzip.open(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(labels)


def safetensors_with_metadata(path, metadata):
    """A safetensors file with no tensors, only the given __metadata__."""
    header = json.dumps({"__metadata__": metadata}).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    good_rows = ["1,2,3,0", "4,5,6,1", "7,8,9,0", "1,1,1,1"] * 5
    with open(os.path.join(out, "wrong_fields.csv"), "w") as f:
        f.write("\n".join(good_rows[:2] + ["7,8,0"] + good_rows[3:]) + "\n")
    with open(os.path.join(out, "not_a_number.csv"), "w") as f:
        f.write("\n".join(good_rows[:3] + ["7,x3,9,0"] + good_rows[4:]) + "\n")
    with open(os.path.join(out, "one_class.csv"), "w") as f:  # one class: cross-entropy is exactly 0
        f.write("\n".join(row[:-1] + "0" for row in good_rows) + "\n")
    labels = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] * 2
    mnist_folder(out, "bad_magic", idx_images(20, magic=0x1234), idx_labels(labels))
    mnist_folder(out, "count_mismatch", idx_images(20), idx_labels(labels[:19]))
    mnist_folder(out, "truncated", idx_images(20)[:-7], idx_labels(labels))
    mnist_folder(out, "label_range", idx_images(20), idx_labels(labels[:19] + [12]))
    safetensors_with_metadata(os.path.join(out, "seed_too_large.safetensors"), {"seed": str(2**64)})


if __name__ == "__main__":
    main()
