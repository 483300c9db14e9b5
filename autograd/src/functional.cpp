// torch.autograd.functional on tg::autograd::grad: a Jacobian is one reverse sweep per output element
// (seeded with that element's one-hot), a Hessian the Jacobian of the recorded gradient, jvp and hvp two
// sweeps of which the first is recorded.

#include "tapegrad/functional.hpp"

#include <cstdint>
#include <stdexcept>
#include <string>

#include "tapegrad/autograd.hpp"
#include "tapegrad/dtype.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/shape_ops.hpp"

namespace tg::autograd {

namespace {

using Func = std::function<Tensor(const std::vector<Tensor>&)>;

std::string describe(const Tensor& t) { return t.shape().str() + " " + std::string(dtype_name(t.dtype())); }

// What func differentiates: with create_graph an input that requires grad gets a recorded copy, so the
// results' history reaches it (PyTorch's view_as); every other input a fresh leaf on the same storage.
std::vector<Tensor> prepare_inputs(const std::vector<Tensor>& inputs, bool create_graph, const std::string& op) {
  if (inputs.empty()) throw std::invalid_argument(op + ": no inputs to differentiate with respect to");
  std::vector<Tensor> xs;
  xs.reserve(inputs.size());
  for (std::size_t j = 0; j < inputs.size(); ++j) {
    const Tensor& x = inputs[j];
    if (!x.defined()) throw std::invalid_argument(op + ": input " + std::to_string(j) + " is undefined");
    if (!is_floating_point(x.dtype()))
      throw std::invalid_argument(op + ": input " + std::to_string(j) + " must be float32 or float64, got " +
                                  describe(x));
    const EnableGradGuard grad_on;
    xs.push_back(create_graph && x.requires_grad() ? x.clone() : x.detach().requires_grad_());
  }
  return xs;
}

// func(xs) under grad mode (as PyTorch's torch.enable_grad(), so that a caller's NoGradGuard does not hide it).
Tensor call(const Func& func, const std::vector<Tensor>& xs, const std::string& op, bool one_element) {
  const EnableGradGuard grad_on;
  Tensor out = func(xs);
  if (!out.defined()) throw std::invalid_argument(op + ": func returned an undefined tensor");
  if (one_element && out.numel() != 1)
    throw std::invalid_argument(op + ": func must return a tensor with a single element, got shape " +
                                out.shape().str());
  return out;
}

// d(seed . out)/d(xs), an undefined entry for an input that out does not reach (all of them when out has
// no history). The graph is retained: later rows sweep it again, and it dies with the last handle.
std::vector<Tensor> grads(const std::vector<Tensor>& outs, const std::vector<Tensor>& xs,
                          const std::vector<Tensor>& seeds, bool create_graph) {
  std::vector<Tensor> live, live_seeds;
  for (std::size_t k = 0; k < outs.size(); ++k)
    if (outs[k].defined() && outs[k].requires_grad()) {
      live.push_back(outs[k]);
      live_seeds.push_back(seeds.empty() ? Tensor() : seeds[k]);
    }
  if (live.empty()) return std::vector<Tensor>(xs.size());
  return grad(live, xs, live_seeds, true, create_graph, true);
}

// Zeros for each input the output does not depend on, the derivative's true value; an error when strict.
void fill_unused(std::vector<Tensor>& g, const std::vector<Tensor>& xs, bool strict, const std::string& op) {
  for (std::size_t j = 0; j < g.size(); ++j) {
    if (g[j].defined()) continue;
    if (strict)
      throw std::logic_error(op + ": strict: the output of func does not depend on input " + std::to_string(j) +
                             " of shape " + xs[j].shape().str() + "; pass strict=false to get zeros for it");
    g[j] = zeros(xs[j].shape(), xs[j].dtype());
  }
}

Tensor one_hot(const Tensor& like, std::int64_t k) {
  std::vector<double> e(static_cast<std::size_t>(like.numel()), 0.0);
  e[static_cast<std::size_t>(k)] = 1.0;
  return tensor(e, like.shape(), like.dtype());
}

Shape concat(const Shape& a, const Shape& b, const std::string& op) {
  if (a.size() + b.size() > Shape::kMaxDims)
    throw std::invalid_argument(op + ": the result's shape " + a.str() + " + " + b.str() + " would have more than " +
                                std::to_string(Shape::kMaxDims) + " dimensions");
  Shape s = a;
  for (const std::int64_t d : b) s.push_back(d);
  return s;
}

// d out / d xs[j] for every j, of shape out.shape() + xs[j].shape(): row k is the gradient of out's k-th
// element (seeded with its one-hot), and the rows are stacked and reshaped.
std::vector<Tensor> jacobian_of(const Tensor& out, const std::vector<Tensor>& xs, bool create_graph, bool strict,
                                const std::string& op) {
  std::vector<std::vector<Tensor>> rows(xs.size());
  for (std::int64_t k = 0; k < out.numel(); ++k) {
    std::vector<Tensor> g = grads({out}, xs, {one_hot(out, k)}, create_graph);
    fill_unused(g, xs, strict, op);
    for (std::size_t j = 0; j < xs.size(); ++j) rows[j].push_back(g[j]);
  }
  std::vector<Tensor> blocks;
  for (std::size_t j = 0; j < xs.size(); ++j) {
    const Shape shape = concat(out.shape(), xs[j].shape(), op);
    blocks.push_back(rows[j].empty() ? zeros(shape, xs[j].dtype()) : reshape(stack(rows[j]), shape));
  }
  return blocks;
}

// The v of jvp and hvp: one tensor per input, of its shape and dtype; omitted only for one one-element input.
std::vector<Tensor> check_input_vs(const std::vector<Tensor>& v, const std::vector<Tensor>& xs, const std::string& op) {
  if (v.empty()) {
    if (xs.size() == 1 && xs[0].numel() == 1) return {ones(xs[0].shape(), xs[0].dtype())};
    throw std::invalid_argument(op + ": v may be omitted only for one single-element input, got " +
                                std::to_string(xs.size()) + " inputs, the first of shape " + xs[0].shape().str());
  }
  if (v.size() != xs.size())
    throw std::invalid_argument(op + ": v has " + std::to_string(v.size()) + " tensors for " +
                                std::to_string(xs.size()) + " inputs; give one per input");
  for (std::size_t j = 0; j < v.size(); ++j) {
    const std::string name = v.size() == 1 ? "v" : "v[" + std::to_string(j) + "]";
    if (!v[j].defined()) throw std::invalid_argument(op + ": " + name + " is undefined");
    if (v[j].shape() != xs[j].shape() || v[j].dtype() != xs[j].dtype())
      throw std::invalid_argument(op + ": " + name + " has shape " + describe(v[j]) + " but input " +
                                  std::to_string(j) + " has shape " + describe(xs[j]));
  }
  return v;
}

Tensor returned(const Tensor& out, bool create_graph) { return create_graph ? out : out.detach(); }

Func on_first(const std::function<Tensor(const Tensor&)>& func) {
  return [&func](const std::vector<Tensor>& in) { return func(in[0]); };
}

std::vector<Tensor> as_list(const Tensor& v) { return v.defined() ? std::vector<Tensor>{v} : std::vector<Tensor>{}; }

}  // namespace

std::vector<Tensor> jacobian(const Func& func, const std::vector<Tensor>& inputs, bool create_graph, bool strict) {
  const std::vector<Tensor> xs = prepare_inputs(inputs, create_graph, "jacobian");
  return jacobian_of(call(func, xs, "jacobian", false), xs, create_graph, strict, "jacobian");
}

Tensor jacobian(const std::function<Tensor(const Tensor&)>& func, const Tensor& inputs, bool create_graph,
                bool strict) {
  return jacobian(on_first(func), std::vector<Tensor>{inputs}, create_graph, strict)[0];
}

// H[i] is the Jacobian of the recorded gradient g_i = df/dx_i: H[i][j] = d g_i / d x_j, shape I_i + I_j.
std::vector<std::vector<Tensor>> hessian(const Func& func, const std::vector<Tensor>& inputs, bool create_graph,
                                         bool strict) {
  const std::vector<Tensor> xs = prepare_inputs(inputs, create_graph, "hessian");
  std::vector<Tensor> g = grads({call(func, xs, "hessian", true)}, xs, {}, true);
  fill_unused(g, xs, strict, "hessian");
  std::vector<std::vector<Tensor>> h;
  for (const Tensor& g_i : g) h.push_back(jacobian_of(g_i, xs, create_graph, strict, "hessian"));
  return h;
}

Tensor hessian(const std::function<Tensor(const Tensor&)>& func, const Tensor& inputs, bool create_graph, bool strict) {
  return hessian(on_first(func), std::vector<Tensor>{inputs}, create_graph, strict)[0][0];
}

std::pair<Tensor, std::vector<Tensor>> vjp(const Func& func, const std::vector<Tensor>& inputs, const Tensor& v,
                                           bool create_graph, bool strict) {
  const std::vector<Tensor> xs = prepare_inputs(inputs, create_graph, "vjp");
  const Tensor out = call(func, xs, "vjp", false);
  if (!v.defined() && out.numel() != 1)
    throw std::invalid_argument("vjp: v may be omitted only when the output of func has a single element, got shape " +
                                out.shape().str());
  if (v.defined() && (v.shape() != out.shape() || v.dtype() != out.dtype()))
    throw std::invalid_argument("vjp: v has shape " + describe(v) + " but the output of func has shape " +
                                describe(out));
  std::vector<Tensor> g = grads({out}, xs, {v}, create_graph);
  fill_unused(g, xs, strict, "vjp");
  return {returned(out, create_graph), g};
}

std::pair<Tensor, Tensor> vjp(const std::function<Tensor(const Tensor&)>& func, const Tensor& inputs, const Tensor& v,
                              bool create_graph, bool strict) {
  auto [out, g] = vjp(on_first(func), std::vector<Tensor>{inputs}, v, create_graph, strict);
  return {out, g[0]};
}

// The double-vjp trick: g(u) = J^T u is linear in a dummy u of the output's shape, so the vjp of g with
// v is d(v . J^T u)/du = J v, whatever u's value (zeros here). Both sweeps are reverse sweeps; the first
// is recorded so that the second can go back through it.
std::pair<Tensor, Tensor> jvp(const Func& func, const std::vector<Tensor>& inputs, const std::vector<Tensor>& v,
                              bool create_graph, bool strict) {
  const std::vector<Tensor> xs = prepare_inputs(inputs, create_graph, "jvp");
  const std::vector<Tensor> vs = check_input_vs(v, xs, "jvp");
  const Tensor out = call(func, xs, "jvp", false);
  Tensor u = zeros(out.shape(), out.dtype());
  u.requires_grad_();
  std::vector<Tensor> g = grads({out}, xs, {u}, true);
  fill_unused(g, xs, strict, "jvp");
  Tensor jv = grads(g, {u}, vs, create_graph)[0];
  if (!jv.defined()) jv = zeros(out.shape(), out.dtype());
  return {returned(out, create_graph), jv};
}

std::pair<Tensor, Tensor> jvp(const std::function<Tensor(const Tensor&)>& func, const Tensor& inputs, const Tensor& v,
                              bool create_graph, bool strict) {
  return jvp(on_first(func), std::vector<Tensor>{inputs}, as_list(v), create_graph, strict);
}

// H v = d(v . g)/dx for the recorded gradient g = df/dx; an entry of g without history (f linear in that
// input) adds nothing.
std::pair<Tensor, std::vector<Tensor>> hvp(const Func& func, const std::vector<Tensor>& inputs,
                                           const std::vector<Tensor>& v, bool create_graph, bool strict) {
  const std::vector<Tensor> xs = prepare_inputs(inputs, create_graph, "hvp");
  const std::vector<Tensor> vs = check_input_vs(v, xs, "hvp");
  const Tensor out = call(func, xs, "hvp", true);
  std::vector<Tensor> g = grads({out}, xs, {}, true);
  fill_unused(g, xs, strict, "hvp");
  std::vector<Tensor> hv = grads(g, xs, vs, create_graph);
  fill_unused(hv, xs, strict, "hvp");
  return {returned(out, create_graph), hv};
}

std::pair<Tensor, Tensor> hvp(const std::function<Tensor(const Tensor&)>& func, const Tensor& inputs, const Tensor& v,
                              bool create_graph, bool strict) {
  auto [out, hv] = hvp(on_first(func), std::vector<Tensor>{inputs}, as_list(v), create_graph, strict);
  return {out, hv[0]};
}

}  // namespace tg::autograd
