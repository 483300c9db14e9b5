#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets into fuzz/corpus/<target>/: a few tiny valid files and a few
invalid ones each, plain and gzip. The files are committed; run this again only to change them."""
import gzip
import json
import os
import struct
import sys

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def put(target, name, data):
    folder = os.path.join(root, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, mtime=0)


# ---- CSV: the first rows of data/digits.csv.gz, and broken variants ----
digits_file = os.path.join(os.path.dirname(root), "..", "data", "digits.csv.gz")
with gzip.open(digits_file, "rt") as f:
    rows = [next(f) for _ in range(4)]
digits = "".join(rows).encode()
put("fuzz_csv", "digits_4_rows.csv", digits)
put("fuzz_csv", "digits_2_rows.csv.gz", gz("".join(rows[:2]).encode()))
put("fuzz_csv", "header_semicolon.csv", b"label;x;y\n1;0.5;-2\n0;1e3;+4\r\n\n2;.25;7\n")
put("fuzz_csv", "small.csv", b"1,2,0\n3,4,1\n")
put("fuzz_csv", "wrong_field_count.csv", b"1,2,0\n3,1\n")
put("fuzz_csv", "not_a_number.csv", b"1,2,0\n3,x,1\n")
put("fuzz_csv", "bad_label.csv", b"1,2,0.5\n3,4,-1\n5,6,1e300\n")
put("fuzz_csv", "infinity.csv", b"inf,nan,1\n1e999,2,0\n")
put("fuzz_csv", "empty.csv", b"\n \n")
put("fuzz_csv", "truncated.csv.gz", gz(digits)[:40])
put("fuzz_csv", "bom_cr_endings.csv", b"\xef\xbb\xbf1,2,0\r3,4,1\r\n5,6,2\n\r7,8,1")
put("fuzz_csv", "utf16.csv", "1,2,0\n".encode("utf-16"))
put("fuzz_csv", "sparse_labels.csv", b"1,0\n2,1\n3,1000000\n")
put("fuzz_csv", "float32_label.csv", b"1,16777217\n2,0\n")


# ---- IDX: images [N, rows, cols] and labels [N], and broken variants ----
def idx(magic, dims, data):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + bytes(data)


images = idx(0x803, [2, 2, 3], range(0, 240, 20))
labels = idx(0x801, [3], [0, 9, 4])
put("fuzz_idx", "images_2x2x3", images)
put("fuzz_idx", "labels_3", labels)
put("fuzz_idx", "images_2x2x3.gz", gz(images))
put("fuzz_idx", "labels_3.gz", gz(labels))
put("fuzz_idx", "images_truncated", images[:-1])
put("fuzz_idx", "images_extra_byte", images + b"\0")
put("fuzz_idx", "labels_out_of_range", idx(0x801, [2], [1, 200]))
put("fuzz_idx", "huge_extents", idx(0x803, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF], [1, 2, 3]))
put("fuzz_idx", "zero_extent", idx(0x803, [0, 28, 28], []))
put("fuzz_idx", "bad_magic", idx(0x1234, [1], [0]))
put("fuzz_idx", "truncated.gz", gz(images)[:-6])
put("fuzz_idx", "trailing_mebibyte.gz", gz(images + bytes(1 << 20)))  # inflates far past what it promises


# ---- safetensors: 8-byte little-endian header length, JSON header, data ----
def safetensors(header, data, pad=True):
    text = json.dumps(header, separators=(",", ":")).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


f32 = struct.pack("<6f", 0.5, -1, 2, 3.25, 0, 1e-3)
f64 = struct.pack("<2d", 1.5, -2.5)
valid = safetensors({"__metadata__": {"format": "pt"},
                     "0.weight": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
                     "0.bias": {"dtype": "F64", "shape": [2], "data_offsets": [24, 40]}}, f32 + f64)
put("fuzz_safetensors", "two_tensors.safetensors", valid)
put("fuzz_safetensors", "scalar_and_empty.safetensors",
    safetensors({"s": {"dtype": "F64", "shape": [], "data_offsets": [0, 8]},
                 "e": {"dtype": "F32", "shape": [0, 4], "data_offsets": [8, 8]}}, struct.pack("<d", 7)))
put("fuzz_safetensors", "empty_header.safetensors", safetensors({}, b""))
put("fuzz_safetensors", "truncated.safetensors", valid[:-5])
put("fuzz_safetensors", "length_too_large.safetensors", struct.pack("<Q", 1 << 62) + b"{}")
put("fuzz_safetensors", "bad_json.safetensors", struct.pack("<Q", 9) + b'{"a":[1,}')
put("fuzz_safetensors", "overlap.safetensors",
    safetensors({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                 "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, bytes(12)))
put("fuzz_safetensors", "unsupported_dtype.safetensors",
    safetensors({"a": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4)))
put("fuzz_safetensors", "huge_shape.safetensors",
    safetensors({"a": {"dtype": "F32", "shape": [4611686018427387904, 4], "data_offsets": [0, 4]}}, bytes(4)))
sys.exit(0)
