#!/usr/bin/python3
"""Writes tests/data/pytorch_mlp.safetensors, the PyTorch side of tests/test_checkpoint.cpp's interop test.

A seeded nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)) is saved under PyTorch's own names and
layout ("0.weight" [8, 4], "0.bias" [8], "2.weight" [3, 8], "2.bias" [3]), with a few inputs and the
network's outputs for them as "test.inputs" [5, 4] and "test.outputs" [5, 3], all float32. tapegrad must
load the weights with LoadOptions{.transpose_linear_weights = true} and reproduce the outputs.

The safetensors layout is written by hand (the safetensors package is not in Debian): 8 bytes of header
length (little-endian), the JSON header padded with spaces to 8 bytes, then the raw little-endian data.

Run: /usr/bin/python3 scripts/make_pytorch_fixture.py   (Debian's python3-torch, PyTorch 1.13)
"""

import json
import pathlib
import struct
import sys

import torch

OUTPUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "data" / "pytorch_mlp.safetensors"
# torch dtype -> (safetensors dtype, little-endian NumPy type)
DTYPES = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8")}


def save_safetensors(path, tensors, metadata):
    """tensors: list of (name, tensor), written in that order; metadata: dict of str to str."""
    header = {"__metadata__": metadata}
    chunks = []
    offset = 0
    for name, tensor in tensors:
        code, numpy_type = DTYPES[tensor.dtype]
        data = tensor.detach().contiguous().numpy().astype(numpy_type).tobytes()
        header[name] = {"dtype": code, "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def main():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    inputs = torch.randn(5, 4)
    with torch.no_grad():
        outputs = model(inputs)
    tensors = list(model.state_dict().items()) + [("test.inputs", inputs), ("test.outputs", outputs)]
    metadata = {"format": "pt", "source": "scripts/make_pytorch_fixture.py", "torch": torch.__version__}
    save_safetensors(OUTPUT, tensors, metadata)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes): " + ", ".join(
        f"{name} {list(t.shape)}" for name, t in tensors), file=sys.stderr)


if __name__ == "__main__":
    main()
