// Environment: MPI's start and end, and the fault handling that keeps one rank's failure from leaving the
// others blocked in a collective.

#include "tapegrad/distributed/environment.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "mpi_util.hpp"

namespace tg::distributed {

namespace detail {

void check(int rc, std::string_view call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(rc, text, &length) != MPI_SUCCESS) length = 0;
  throw DistributedError(std::string(call) + " failed: " + (length > 0 ? std::string(text, length) : "unknown error") +
                         " (MPI error " + std::to_string(rc) + ")");
}

void require_initialized(std::string_view op) {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (!initialized || finalized)
    throw std::logic_error(std::string(op) + ": MPI is not running; create a tg::distributed::Environment at the top "
                                             "of main and keep it alive while the program communicates");
}

MPI_Datatype mpi_type(Dtype dtype) {
  switch (dtype) {
    case Dtype::Float32: return MPI_FLOAT;
    case Dtype::Float64: return MPI_DOUBLE;
    case Dtype::Int64: return MPI_INT64_T;
    case Dtype::Bool: return MPI_BYTE;  // one byte each
  }
  return MPI_BYTE;
}

}  // namespace detail

namespace {

int world_rank_or_minus_one() {
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

// Prints why and ends every rank. mpirun reports the MPI_Abort and stops the job, so that the ranks
// blocked in a collective with this one end too, instead of waiting for it for ever.
[[noreturn]] void abort_all(const std::string& why) {
  std::fprintf(stderr, "tapegrad::distributed: rank %d: %s; aborting every rank (MPI_Abort)\n",
               world_rank_or_minus_one(), why.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();  // MPI_Abort does not return; this only tells the compiler so
}

// std::terminate's handler while an Environment exists: an exception that escapes main arrives here
// (without unwinding, so the Environment's destructor never runs) with the exception still current.
[[noreturn]] void terminate_handler() {
  std::string why = "std::terminate called";
  if (const std::exception_ptr current = std::current_exception()) {
    try {
      std::rethrow_exception(current);
    } catch (const std::exception& e) {
      why = std::string("uncaught exception: ") + e.what();
    } catch (...) {
      why = "uncaught exception of a type not derived from std::exception";
    }
  }
  abort_all(why);
}

}  // namespace

Environment::Environment(int& argc, char**& argv) { start(&argc, &argv); }
Environment::Environment() { start(nullptr, nullptr); }

void Environment::start(int* argc, char*** argv) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized)
    throw std::logic_error("Environment: MPI is already initialised; create one tg::distributed::Environment per "
                           "process, at the top of main");
  int provided = 0;
  detail::check(MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
  // Errors come back as codes (turned into exceptions) rather than ending the program inside MPI.
  detail::check(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  if (provided < MPI_THREAD_SERIALIZED) {
    MPI_Finalize();
    throw DistributedError("MPI_Init_thread: MPI provides thread level " + std::to_string(provided) +
                           ", below MPI_THREAD_SERIALIZED, which tapegrad needs");
  }
  uncaught_ = std::uncaught_exceptions();
  previous_terminate_ = std::set_terminate(terminate_handler);
}

Environment::~Environment() {
  // Unwinding past the Environment: finalising here would leave the other ranks waiting for this one.
  if (std::uncaught_exceptions() > uncaught_) abort_all("an exception is unwinding past the Environment");
  std::set_terminate(previous_terminate_);
  MPI_Finalize();
}

int Environment::rank() const { return distributed::rank(); }
int Environment::world_size() const { return distributed::world_size(); }

int rank() {
  detail::require_initialized("rank");
  int rank = 0;
  detail::check(MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  return rank;
}

int world_size() {
  detail::require_initialized("world_size");
  int size = 0;
  detail::check(MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  return size;
}

}  // namespace tg::distributed
