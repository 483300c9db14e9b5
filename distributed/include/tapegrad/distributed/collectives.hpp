#pragma once
// Collectives over MPI_COMM_WORLD (PyTorch's torch.distributed names): every rank must make the same
// calls in the same order, with tensors of the same shapes and dtypes. Each writes its tensors in place,
// a raw write like fill_ (never recorded, bumps version()).

#include "tapegrad/nn/module.hpp"
#include "tapegrad/tensor.hpp"

namespace tg::distributed {

/// PyTorch's ReduceOp.SUM and ReduceOp.AVG.
enum class ReduceOp { kSum, kAverage };

/// Returns once every rank has called it (torch.distributed.barrier): what a rank did before it, such as
/// writing a file, is done when any rank returns.
void barrier();
/// Replaces tensor, on every rank, with its value on root (any dtype).
void broadcast(Tensor& tensor, int root = 0);
/// Replaces every parameter and buffer of module (state_dict() order) with root's, as PyTorch's DDP does
/// at construction. Throws std::invalid_argument, on every rank, when the ranks' modules differ in their
/// entries' count, shapes or dtypes (the first difference named), before anything is copied.
void broadcast(nn::Module& module, int root = 0);
/// Replaces tensor by the elementwise sum over ranks, or that sum divided by world_size() for kAverage:
/// float32 and float64, and int64 for kSum (counts). Other cases throw std::invalid_argument.
void all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::kSum);

}  // namespace tg::distributed
