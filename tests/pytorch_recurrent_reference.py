#!/usr/bin/python3
"""Reference values for tests/test_recurrent_modules.cpp, computed with PyTorch 1.13's torch.nn.RNN, LSTM,
GRU, RNNCell, LSTMCell, GRUCell and Embedding in float64.

Every parameter, input and initial state is a pattern exact in binary that the tests rebuild (the `pattern`
of tests/pytorch_poolnorm_reference.py): element i is ((i * a) % m - m // 2) / scale. Parameter k of a case
(in state_dict order) takes a = kA[k % 8], m = kM[k % 16] and scale 128, so that no two parameters of a
case hold the same values and |w| <= 69 / 128 keeps the gates far from saturation; the input is
pattern(shape, 7, 31, 16), h0 pattern(shape, 3, 19, 16), c0 pattern(shape, 5, 29, 16). Each case runs the
module, then backward of
    sum(out * pattern(out.shape, 13, 17, 8)) + sum(h_n * pattern(h_n.shape, 7, 11, 16))
    (+ sum(c_n * pattern(c_n.shape, 5, 13, 16)) for LSTM)
(for the cells, out is h' and c' takes c_n's term), and prints the outputs, the gradients of the input, of
h0 and c0 where given and of every parameter by its state_dict key (Python's shortest repr that reads back
to the same double), as C++ arrays, with one `Case` per module that says how to rebuild it. The relu cases
check that no pre-activation is near relu's kink, where the gradient would depend on rounding.

Run: /usr/bin/python3 tests/pytorch_recurrent_reference.py > tests/pytorch_recurrent_reference.hpp
(Debian's python3-torch).
"""

import torch
from torch import nn

from pytorch_poolnorm_reference import leaf, pattern

kA = [37, 41, 43, 47, 53, 59, 61, 67]
kM = [101, 103, 107, 109, 113, 127, 97, 89, 131, 137, 139, 79, 83, 73, 71, 131]
kScale = 128
kInput = (7, 31, 16)
kH0 = (3, 19, 16)
kC0 = (5, 29, 16)
kOutGrad = (13, 17, 8)
kHnGrad = (7, 11, 16)
kCnGrad = (5, 13, 16)


def cxx(name, t):
    # tests/pytorch_poolnorm_reference.py's cxx, with the rows filled up to 120 columns and int64 as int64.
    values = t.detach().reshape(-1).tolist()
    integral = t.dtype == torch.int64
    items = [str(int(v)) if integral else repr(float(v)) for v in values]
    rows, row = [], "   "
    for item in items:
        if len(row) + len(item) + 2 > 120:
            rows.append(row)
            row = "   "
        row += " " + item + ","
    rows.append(row)
    ctype = "std::int64_t" if integral else "double"
    return "\n".join([f"// shape {list(t.shape)}", f"inline constexpr {ctype} {name}[] = {{"] + rows + ["};"])


def camel(key):
    return "".join(part[:1].upper() + part[1:] for part in key.split("_"))


def cxx_shape(shape):
    return "{" + ", ".join(str(d) for d in shape) + "}"


def set_parameters(module):
    """Sets every parameter from its pattern; returns (key, shape, a, m, scale, tensor) in state_dict order."""
    table = []
    params = dict(module.named_parameters())
    with torch.no_grad():
        for k, key in enumerate(module.state_dict().keys()):
            p = params[key]
            a, m = kA[k % len(kA)], kM[k % len(kM)]
            p.copy_(pattern(list(p.shape), a, m, kScale))
            table.append((key, list(p.shape), a, m, kScale, p))
    return table


def check_relu_away_from_zero(pre):
    # relu's derivative jumps at 0: a pre-activation near 0 would make the gradients depend on rounding.
    smallest = pre.abs().min().item()
    assert smallest > 1e-4, f"a relu pre-activation is {smallest}"


def relu_rnn_preactivations(rnn, x, h0):
    # x [T, N, I], unidirectional: every pre-activation of every layer, to check that none is near 0.
    pres = []
    layer_input = x.detach()
    for layer in range(rnn.num_layers):
        names = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
        w_ih, w_hh, b_ih, b_hh = (getattr(rnn, f"{n}_l{layer}") for n in names)
        h = h0[layer].detach() if h0 is not None else torch.zeros(x.shape[1], rnn.hidden_size, dtype=torch.float64)
        outs = []
        for t in range(layer_input.shape[0]):
            pre = layer_input[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
            pres.append(pre.detach())
            h = torch.relu(pre)
            outs.append(h)
        layer_input = torch.stack(outs)
    return torch.stack(pres)


def weighted_sum(t, a, m, scale):
    return (t * pattern(list(t.shape), a, m, scale)).sum()


def run(module, x, h0, c0):
    """(out, h_n, c_n) of any of the modules; None where the module has no such result."""
    if isinstance(module, nn.LSTM):
        out, (h_n, c_n) = module(x, (h0, c0)) if h0 is not None else module(x)
        return out, h_n, c_n
    if isinstance(module, (nn.RNN, nn.GRU)):
        out, h_n = module(x, h0)
        return out, h_n, None
    if isinstance(module, nn.LSTMCell):
        h, c = module(x, (h0, c0)) if h0 is not None else module(x)
        return h, None, c
    return module(x, h0), None, None


def module_case(name, description, module, input_shape, h0_shape=None, c0_shape=None):
    module = module.double()
    table = set_parameters(module)
    x = leaf(input_shape, *kInput)
    h0 = leaf(h0_shape, *kH0) if h0_shape is not None else None
    c0 = leaf(c0_shape, *kC0) if c0_shape is not None else None
    if isinstance(module, nn.RNN) and module.nonlinearity == "relu":
        check_relu_away_from_zero(relu_rnn_preactivations(module, x, h0))
    if isinstance(module, nn.RNNCell) and module.nonlinearity == "relu":
        h = h0 if h0 is not None else torch.zeros(x.shape[0], module.hidden_size, dtype=torch.float64)
        pre = x @ module.weight_ih.T + module.bias_ih + h @ module.weight_hh.T + module.bias_hh
        check_relu_away_from_zero(pre)
    out, h_n, c_n = run(module, x, h0, c0)
    loss = weighted_sum(out, *kOutGrad)
    if h_n is not None:
        loss = loss + weighted_sum(h_n, *kHnGrad)
    if c_n is not None:
        loss = loss + weighted_sum(c_n, *kCnGrad)
    loss.backward()

    given = [f"input {list(x.shape)}"] + [f"{what} {list(t.shape)}" for what, t in (("h0", h0), ("c0", c0))
                                           if t is not None]
    lines = [f"// {name}: {description}", "// " + ", ".join(given)]
    fields = [f"    .input = {cxx_shape(x.shape)},"]
    if h0 is not None:
        fields.append(f"    .h0 = Shape{cxx_shape(h0.shape)},")
    if c0 is not None:
        fields.append(f"    .c0 = Shape{cxx_shape(c0.shape)},")

    def emit(field, suffix, t):
        lines.append(cxx(name + suffix, t))
        fields.append(f"    .{field} = {{{cxx_shape(t.shape)}, {name + suffix}}},")

    emit("output", "Output", out)
    if h_n is not None:
        emit("h_n", "Hn", h_n)
    if c_n is not None:
        emit("c_n", "Cn", c_n)
    emit("d_input", "DInput", x.grad)
    if h0 is not None:
        emit("d_h0", "DH0", h0.grad)
    if c0 is not None:
        emit("d_c0", "DC0", c0.grad)
    fields.append("    .parameters = {")
    for key, shape, a, m, scale, p in table:
        lines.append(cxx(name + "D" + camel(key), p.grad))
        fields.append(f"        {{\"{key}\", {cxx_shape(shape)}, {a}, {m}, {scale}, {name}D{camel(key)}}},")
    fields.append("    },")
    lines += [f"inline const Case {name} = {{"] + fields + ["};"]
    return lines


def embedding_case(name, num_embeddings, dim, padding_idx, indices):
    emb = nn.Embedding(num_embeddings, dim, padding_idx=padding_idx).double()
    # The padding row keeps the pattern's values: PyTorch's forward reads the row as it is, only its
    # gradient is zero.
    table = set_parameters(emb)
    idx = torch.tensor(indices, dtype=torch.int64)
    out = emb(idx)
    weighted_sum(out, *kOutGrad).backward()
    key, shape, a, m, scale, w = table[0]
    return [f"// {name}: torch.nn.Embedding({num_embeddings}, {dim}, padding_idx={padding_idx}), weight "
            f"pattern({shape}, {a}, {m}, {scale}),", f"// indices {indices}",
            cxx(name + "Indices", idx), cxx(name + "Output", out), cxx(name + "DWeight", w.grad),
            f"inline const Parameter {name}Weight = {{\"{key}\", {cxx_shape(shape)}, {a}, {m}, {scale}, "
            f"{name}DWeight}};"]


def cases():
    return [
        module_case("kRnnTanh", "torch.nn.RNN(3, 4)", nn.RNN(3, 4), [5, 2, 3]),
        module_case("kRnnRelu2", "torch.nn.RNN(3, 4, num_layers=2, nonlinearity='relu'), with h0",
                    nn.RNN(3, 4, num_layers=2, nonlinearity="relu"), [4, 3, 3], [2, 3, 4]),
        module_case("kRnnBiBatchFirst", "torch.nn.RNN(3, 5, bidirectional=True, batch_first=True)",
                    nn.RNN(3, 5, bidirectional=True, batch_first=True), [2, 4, 3]),
        module_case("kLstm", "torch.nn.LSTM(3, 4)", nn.LSTM(3, 4), [5, 2, 3]),
        module_case("kLstm2Bi", "torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True), with (h0, c0)",
                    nn.LSTM(3, 4, num_layers=2, bidirectional=True), [5, 2, 3], [4, 2, 4], [4, 2, 4]),
        module_case("kLstmBatchFirstNoBias", "torch.nn.LSTM(3, 5, batch_first=True, bias=False)",
                    nn.LSTM(3, 5, batch_first=True, bias=False), [3, 4, 3]),
        module_case("kLstmUnbatched", "torch.nn.LSTM(3, 4) on an unbatched [T, I] input, with (h0, c0) [1, H]",
                    nn.LSTM(3, 4), [5, 3], [1, 4], [1, 4]),
        module_case("kGru", "torch.nn.GRU(3, 4)", nn.GRU(3, 4), [5, 2, 3]),
        module_case("kGru2Bi", "torch.nn.GRU(3, 4, num_layers=2, bidirectional=True), with h0",
                    nn.GRU(3, 4, num_layers=2, bidirectional=True), [4, 3, 3], [4, 3, 4]),
        module_case("kGruBatchFirst", "torch.nn.GRU(3, 5, batch_first=True)", nn.GRU(3, 5, batch_first=True),
                    [2, 4, 3]),
        module_case("kRnnCellTanh", "torch.nn.RNNCell(3, 4), with hx", nn.RNNCell(3, 4), [3, 3], [3, 4]),
        module_case("kRnnCellReluNoHx", "torch.nn.RNNCell(3, 4, nonlinearity='relu'), no hx",
                    nn.RNNCell(3, 4, nonlinearity="relu"), [2, 3]),
        module_case("kLstmCell", "torch.nn.LSTMCell(3, 4), with (h, c)", nn.LSTMCell(3, 4), [2, 3], [2, 4], [2, 4]),
        module_case("kGruCell", "torch.nn.GRUCell(3, 5), with h", nn.GRUCell(3, 5), [3, 3], [3, 5]),
        module_case("kGruCellUnbatched", "torch.nn.GRUCell(3, 4) on an unbatched [I] input, with h [H]",
                    nn.GRUCell(3, 4), [3], [4]),
        embedding_case("kEmbedding", 10, 3, 2, [[1, 2, 5], [5, 2, 9]]),
    ]


def prelude():
    return ["#pragma once",
            "// Generated by tests/pytorch_recurrent_reference.py with torch " + torch.__version__ +
            " (Debian python3-torch); do not edit.",
            "// Every parameter is pattern(shape, a, m, scale) by its state_dict key; the input is",
            f"// pattern(shape, {kInput[0]}, {kInput[1]}, {kInput[2]}), h0 pattern(shape, {kH0[0]}, {kH0[1]}, "
            f"{kH0[2]}), c0 pattern(shape, {kC0[0]}, {kC0[1]}, {kC0[2]}). The D* arrays are the",
            f"// gradients of sum(out * pattern(out.shape, {kOutGrad[0]}, {kOutGrad[1]}, {kOutGrad[2]})) + "
            f"sum(h_n * pattern(h_n.shape, {kHnGrad[0]}, {kHnGrad[1]}, {kHnGrad[2]}))",
            f"// + sum(c_n * pattern(c_n.shape, {kCnGrad[0]}, {kCnGrad[1]}, {kCnGrad[2]})) (cells: out is h', "
            "c_n is c').",
            "", "#include <cstdint>", "#include <optional>", "#include <span>", "#include <string>",
            "#include <utility>", "#include <vector>", "",
            "#include \"pytorch_poolnorm_reference.hpp\"", "#include \"tapegrad/tapegrad.hpp\"", "",
            "namespace tg::testing::recurrent_reference {", "",
            "using reference::pattern;", "using reference::pattern_leaf;", "",
            "/// One array of the script's results with its shape; no values: the module has no such result.",
            "struct Expected {",
            "  Shape shape = {};",
            "  std::span<const double> values = {};",
            "};", "",
            "/// A parameter: its state_dict key and shape, the pattern(shape, a, m, scale) it holds, its gradient.",
            "struct Parameter {",
            "  const char* key;",
            "  Shape shape;",
            "  std::int64_t a;",
            "  std::int64_t m;",
            "  double scale;",
            "  std::span<const double> grad;",
            "};", "",
            "/// One module's case: the shapes of its input and initial states (none: not given), what it returns",
            "/// and the gradients, and its parameters in state_dict order.",
            "struct Case {",
            "  Shape input;",
            "  std::optional<Shape> h0 = std::nullopt;",
            "  std::optional<Shape> c0 = std::nullopt;",
            "  Expected output = {};",
            "  Expected h_n = {};",
            "  Expected c_n = {};",
            "  Expected d_input = {};",
            "  Expected d_h0 = {};",
            "  Expected d_c0 = {};",
            "  std::vector<Parameter> parameters = {};",
            "};", "",
            "/// The parameter's pattern, as the script set it.",
            "inline Tensor value(const Parameter& p) { return pattern(p.shape, p.a, p.m, p.scale); }", "",
            "/// Every parameter of the case by its PyTorch key, in PyTorch's order: what load_state_dict takes.",
            "inline std::vector<std::pair<std::string, Tensor>> state_dict(const Case& c) {",
            "  std::vector<std::pair<std::string, Tensor>> state;",
            "  for (const Parameter& p : c.parameters) state.emplace_back(p.key, value(p));",
            "  return state;",
            "}", "",
            "/// The case's input, h0 and c0 as leaves that require grad (undefined where the case gives none).",
            f"inline Tensor input(const Case& c) {{ return pattern_leaf(c.input, {kInput[0]}, {kInput[1]}, "
            f"{kInput[2]}); }}",
            f"inline Tensor h0(const Case& c) {{ return c.h0 ? pattern_leaf(*c.h0, {kH0[0]}, {kH0[1]}, {kH0[2]}) "
            ": Tensor(); }",
            f"inline Tensor c0(const Case& c) {{ return c.c0 ? pattern_leaf(*c.c0, {kC0[0]}, {kC0[1]}, {kC0[2]}) "
            ": Tensor(); }", "",
            "/// The loss the script differentiates; h_n and c_n may be undefined (no such result).",
            "inline Tensor loss(const Tensor& out, const Tensor& h_n, const Tensor& c_n) {",
            f"  Tensor total = sum(out * pattern(out.shape(), {kOutGrad[0]}, {kOutGrad[1]}, {kOutGrad[2]}));",
            f"  if (h_n.defined()) total = total + sum(h_n * pattern(h_n.shape(), {kHnGrad[0]}, {kHnGrad[1]}, "
            f"{kHnGrad[2]}));",
            f"  if (c_n.defined()) total = total + sum(c_n * pattern(c_n.shape(), {kCnGrad[0]}, {kCnGrad[1]}, "
            f"{kCnGrad[2]}));",
            "  return total;",
            "}", ""]


def main():
    lines = prelude()
    for case in cases():
        lines += case + [""]
    lines.append("}  // namespace tg::testing::recurrent_reference")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
