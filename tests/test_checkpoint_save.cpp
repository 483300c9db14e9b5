// How checkpoints reach the disk (the rest of the checkpoint tests are in test_checkpoint.cpp, which would
// pass 500 lines with these): check_writable before training, saves through symbolic links, and the
// temporaries of killed saves removed by the next save.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>
#include <string>

#include "testing.hpp"
#include "tapegrad/nn/checkpoint.hpp"
#include "tapegrad/nn/safetensors.hpp"
#include "tapegrad/tensor.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tg::nn;  // NOLINT: the tests read like user code
using testing::HasSubstr;
using testing_support::message_of;

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& file, const std::string& bytes) { std::ofstream(file, std::ios::binary) << bytes; }

/// The names in a folder.
std::set<std::string> listing(const fs::path& folder) {
  std::set<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(folder)) names.insert(entry.path().filename());
  return names;
}

/// The CheckpointError message of fn run without root's right to write anywhere: as is when the tests do
/// not run as root, else in a child process switched to the user and group 65534 ("nobody").
std::string message_without_root(const std::function<void()>& fn) {
  if (::geteuid() != 0) return message_of<CheckpointError>(fn);
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) return "pipe failed";
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::string message = "could not switch to the user nobody";
    if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
      try {
        fn();
        message = "threw nothing";
      } catch (const CheckpointError& e) {
        message = e.what();
      }
    }
    const ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(written == static_cast<ssize_t>(message.size()) ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) message.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  return message;
}

/// A fresh folder per test, removed afterwards.
class SaveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("tapegrad_test_checkpoint_save_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(dir_))
      if (!entry.is_symlink()) fs::permissions(entry.path(), fs::perms::owner_all, fs::perm_options::add);
    fs::remove_all(dir_);
  }
  fs::path dir_;
};

// ---- check_writable ----

TEST_F(SaveTest, CheckWritableAcceptsANewOrExistingFileAndLeavesTheFolderAsItWas) {
  const fs::path file = dir_ / "model.safetensors";
  check_writable(file);
  EXPECT_EQ(listing(dir_), std::set<std::string>{});

  save_safetensors(file, {{"x", tg::tensor({1.0})}});
  const std::string before = read_file(file);
  check_writable(file);
  EXPECT_EQ(read_file(file), before);
  EXPECT_EQ(listing(dir_), std::set<std::string>{"model.safetensors"});
}

TEST_F(SaveTest, CheckWritableRefusesAMissingFolderAFolderAndAFileInPlaceOfAFolder) {
  const fs::path missing = dir_ / "no_such_folder" / "model.safetensors";
  EXPECT_EQ(message_of<CheckpointError>([&] { check_writable(missing); }),
            "check_writable: " + missing.string() + ": the folder " + (dir_ / "no_such_folder").string() +
                " does not exist");
  EXPECT_EQ(message_of<CheckpointError>([&] { check_writable(dir_); }),
            "check_writable: " + dir_.string() + ": is a folder, expected a file");
  write_file(dir_ / "plain", "not a folder");
  EXPECT_EQ(message_of<CheckpointError>([&] { check_writable(dir_ / "plain" / "model.safetensors"); }),
            "check_writable: " + (dir_ / "plain" / "model.safetensors").string() + ": " + (dir_ / "plain").string() +
                " is not a folder");
  EXPECT_EQ(listing(dir_), std::set<std::string>{"plain"});
}

TEST_F(SaveTest, CheckWritableRefusesWhatTheUserCannotWrite) {
  // /proc takes no new files, not even from root.
  EXPECT_THAT(message_of<CheckpointError>([] { check_writable("/proc/tapegrad.safetensors"); }),
              HasSubstr("check_writable: /proc/tapegrad.safetensors: cannot create a file in /proc: "));

  const fs::path locked = dir_ / "locked", open = dir_ / "open";
  fs::create_directory(locked);
  fs::create_directory(open);
  save_safetensors(open / "model.safetensors", {{"x", tg::tensor({1.0})}});
  const std::string before = read_file(open / "model.safetensors");
  fs::permissions(locked, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                              fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(open, fs::perms::all);
  fs::permissions(dir_, fs::perms::others_exec | fs::perms::group_exec, fs::perm_options::add);
  fs::permissions(open / "model.safetensors", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);

  EXPECT_THAT(message_without_root([&] { check_writable(locked / "model.safetensors"); }),
              HasSubstr("check_writable: " + (locked / "model.safetensors").string() + ": cannot create a file in " +
                        locked.string() + ": Permission denied"));
  EXPECT_EQ(message_without_root([&] { check_writable(open / "model.safetensors"); }),
            "check_writable: " + (open / "model.safetensors").string() + ": is not writable: Permission denied");
  EXPECT_EQ(read_file(open / "model.safetensors"), before);
  EXPECT_EQ(listing(locked), std::set<std::string>{});
  EXPECT_EQ(listing(open), std::set<std::string>{"model.safetensors"});
}

}  // namespace
