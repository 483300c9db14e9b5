#pragma once
// Shared by the examples that draw pictures (compare_optimizers' gnuplot, network_221's Graphviz dot):
// running a program found on PATH with an argument vector, never through a shell.

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

extern char** environ;

namespace examples {

/// The program is not on PATH: the caller says what is missing and how to install it.
class ProgramMissing : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Runs args[0], found on PATH by posix_spawnp, with args as its argv (no shell: no argument is ever
/// parsed as code), its input /dev/null so that it never waits on a terminal, its messages on our
/// stderr, and waits for it. Throws ProgramMissing when it is not on PATH, std::runtime_error when it
/// cannot start, is killed or exits with a non-zero status (naming the program and its last argument).
inline void run_program(std::vector<std::string> args) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const std::string& program = args.at(0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  const int error = posix_spawnp(&pid, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error == ENOENT) throw ProgramMissing(program + " is not on PATH");
  if (error != 0) throw std::runtime_error("cannot start " + program + ": " + std::strerror(error));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw std::runtime_error("waiting for " + program + ": " + std::strerror(errno));
  if (WIFSIGNALED(status))
    throw std::runtime_error(program + " was killed by signal " + std::to_string(WTERMSIG(status)) + " on " +
                             args.back());
  if (WEXITSTATUS(status) != 0)
    throw std::runtime_error(program + " failed on " + args.back() + " (exit status " +
                             std::to_string(WEXITSTATUS(status)) + "; its messages are above)");
}

}  // namespace examples
