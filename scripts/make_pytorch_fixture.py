#!/usr/bin/python3
"""Writes the PyTorch side of tapegrad's interop tests: tests/data/pytorch_mlp.safetensors
(tests/test_checkpoint.cpp) and tests/data/pytorch_cnn.safetensors (tests/test_layers_cnn.cpp).

A seeded nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3)) is saved under PyTorch's own names and
layout ("0.weight" [8, 4], "0.bias" [8], "2.weight" [3, 8], "2.bias" [3]), with a few inputs and the
network's outputs for them as "test.inputs" [5, 4] and "test.outputs" [5, 3], all float32. tapegrad must
load the weights with LoadOptions{.transpose_linear_weights = true} and reproduce the outputs.

pytorch_cnn.safetensors: a seeded float64 CNN, nn.Sequential(Conv2d(2, 4, 3, padding=1), BatchNorm2d(4),
ReLU(), MaxPool2d(2), Conv2d(4, 6, (3, 2), stride=(1, 2), dilation=(2, 1), groups=2), BatchNorm2d(6), ReLU(),
AdaptiveAvgPool2d((2, 3)), Flatten(), Linear(36, 5)), after three training-mode forward passes so that its
BatchNorm buffers (running_mean, running_var, num_batches_tracked) are not their initial values. Saved with
its state_dict's names, plus "test.inputs" [3, 2, 10, 9], "test.eval_outputs" (eval mode, running
statistics) and "test.train_outputs" (training mode, batch statistics) and the running statistics after
that last pass as "test.running_mean_after" / "test.running_var_after" of the first BatchNorm.

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
DTYPES = {torch.float32: ("F32", "<f4"), torch.float64: ("F64", "<f8"), torch.int64: ("I64", "<i8")}
CNN_OUTPUT = OUTPUT.parent / "pytorch_cnn.safetensors"


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


def write_mlp():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    inputs = torch.randn(5, 4)
    with torch.no_grad():
        outputs = model(inputs)
    tensors = list(model.state_dict().items()) + [("test.inputs", inputs), ("test.outputs", outputs)]
    metadata = {"format": "pt", "source": "scripts/make_pytorch_fixture.py", "torch": torch.__version__}
    save_safetensors(OUTPUT, tensors, metadata)
    report(OUTPUT, tensors)


def write_cnn():
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(
        nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 6, (3, 2), stride=(1, 2), dilation=(2, 1), groups=2), nn.BatchNorm2d(6), nn.ReLU(),
        nn.AdaptiveAvgPool2d((2, 3)), nn.Flatten(), nn.Linear(36, 5)).double()
    with torch.no_grad():
        for _ in range(3):  # training-mode passes: the running statistics move away from (0, 1)
            model(torch.randn(4, 2, 10, 9, dtype=torch.float64) * 2 + 0.5)
    inputs = torch.randn(3, 2, 10, 9, dtype=torch.float64)
    state = [(name, t.clone()) for name, t in model.state_dict().items()]
    with torch.no_grad():
        model.eval()
        eval_outputs = model(inputs)
        model.train()
        train_outputs = model(inputs)
    tensors = state + [("test.inputs", inputs), ("test.eval_outputs", eval_outputs),
                       ("test.train_outputs", train_outputs),
                       ("test.running_mean_after", model[1].running_mean.clone()),
                       ("test.running_var_after", model[1].running_var.clone())]
    metadata = {"format": "pt", "source": "scripts/make_pytorch_fixture.py", "torch": torch.__version__}
    save_safetensors(CNN_OUTPUT, tensors, metadata)
    report(CNN_OUTPUT, tensors)


def report(path, tensors):
    print(f"wrote {path} ({path.stat().st_size} bytes): " + ", ".join(
        f"{name} {list(t.shape)}" for name, t in tensors), file=sys.stderr)


def main():
    write_mlp()
    write_cnn()


if __name__ == "__main__":
    main()
