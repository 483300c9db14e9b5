#pragma once
// Internals of tapegrad::distributed: MPI error checking and dtype mapping.

#include <mpi.h>

#include <string_view>

#include "tapegrad/dtype.hpp"

namespace tg::distributed::detail {

/// Throws DistributedError "<call> failed: <MPI's error string>" unless rc is MPI_SUCCESS.
void check(int rc, std::string_view call);
/// Throws std::logic_error when MPI is not initialised (or already finalised); op names the caller.
void require_initialized(std::string_view op);
/// The MPI datatype of a tapegrad element (bool is one byte).
[[nodiscard]] MPI_Datatype mpi_type(Dtype dtype);

}  // namespace tg::distributed::detail
