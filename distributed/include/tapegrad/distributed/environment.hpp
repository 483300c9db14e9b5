#pragma once
// The MPI environment of a data-parallel program, and the rank and world size inside it.
//
//   int main(int argc, char** argv) {
//     tg::distributed::Environment env(argc, argv);   // MPI_Init_thread ... MPI_Finalize
//     ... tg::distributed::rank(), tg::distributed::world_size() ...
//   }
//
// Run with `mpirun -np 2 program`. Every MPI call is checked (MPI_ERRORS_RETURN on MPI_COMM_WORLD) and a
// failure throws DistributedError naming the call and MPI's message.
//
// Faults: one rank's failure must not leave the others waiting in a collective for ever. While an
// Environment exists, an exception that escapes main (std::terminate) or unwinds past the Environment
// prints "tapegrad::distributed: rank R: ..." with the exception's message to stderr and calls MPI_Abort,
// which makes mpirun end every rank. This is the one place tapegrad ends a program itself: the other ranks
// are blocked inside MPI, where nothing but MPI_Abort (or mpirun) can reach them.

#include <exception>
#include <stdexcept>
#include <string>

namespace tg::distributed {

/// An MPI call failed; what() names the call and gives MPI's error string.
class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Environment {
 public:
  /// MPI_Init_thread with MPI_THREAD_SERIALIZED (MPI calls from one thread at a time, e.g. a training
  /// thread that is not main). Throws std::logic_error when MPI was initialised before (MPI cannot be
  /// initialised twice in a process), DistributedError when MPI fails or provides less threading.
  Environment(int& argc, char**& argv);
  Environment();
  /// MPI_Finalize; MPI_Abort instead when an exception is unwinding past it (see above).
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  [[nodiscard]] int rank() const;
  [[nodiscard]] int world_size() const;

 private:
  void start(int* argc, char*** argv);

  int uncaught_ = 0;  // std::uncaught_exceptions() at construction
  std::terminate_handler previous_terminate_ = nullptr;
};

/// This process's rank in MPI_COMM_WORLD, 0 .. world_size() - 1. std::logic_error outside an Environment.
[[nodiscard]] int rank();
/// The number of processes in MPI_COMM_WORLD. std::logic_error outside an Environment.
[[nodiscard]] int world_size();

}  // namespace tg::distributed
