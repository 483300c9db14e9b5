// A rank that fails mid-training must end the whole job, promptly and with a message, rather than leave
// the other ranks waiting in an all-reduce for ever. Run by CTest (MPI.FaultThrow, MPI.FaultKill) as
// `mpirun -np 2 ... test_distributed_fault throw|kill`, through tests/distributed/expect_failure.cmake,
// which checks mpirun's exit status and output. At step 3 rank 1 throws an exception that escapes main
// (the Environment's terminate handler prints it and calls MPI_Abort) or sends itself SIGKILL (mpirun
// sees the death and ends the job); rank 0 meanwhile waits in synchronize().

#include <csignal>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

#include "tapegrad/distributed/data_parallel.hpp"
#include "tapegrad/distributed/environment.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/optim/optim.hpp"
#include "tapegrad/tapegrad.hpp"

namespace dist = tg::distributed;

int main(int argc, char** argv) {
  dist::Environment env(argc, argv);
  const std::string mode = argc > 1 ? argv[1] : "throw";
  tg::Generator gen(static_cast<std::uint64_t>(dist::rank()));
  tg::nn::Sequential model(std::make_shared<tg::nn::Linear>(4, 8, gen), std::make_shared<tg::nn::Tanh>(),
                           std::make_shared<tg::nn::Linear>(8, 2, gen));
  dist::DistributedDataParallel ddp(model);
  tg::optim::SGD optimizer(model.parameters(), {.lr = 0.1});
  for (int step = 0; step < 1000; ++step) {
    if (dist::rank() == 1 && step == 3) {
      if (mode == "kill") std::raise(SIGKILL);
      throw std::runtime_error("injected fault: rank 1 threw at step 3");
    }
    const tg::Tensor loss = tg::mean(tg::pow(model(tg::randn({16, 4}, gen)), 2));
    optimizer.zero_grad();
    loss.backward();
    ddp.synchronize();
    optimizer.step();
  }
  std::printf("rank %d finished all steps\n", dist::rank());  // never reached: the tests look for it
  return 0;
}
