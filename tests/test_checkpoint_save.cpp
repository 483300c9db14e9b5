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
#include <csignal>
#include <cstdint>
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

double saved_value(const fs::path& file) { return load_safetensors(file).tensors.at(0).second.item(); }

// ---- saves ----

TEST_F(SaveTest, SavingThroughASymbolicLinkKeepsTheLinkAndReplacesItsTarget) {
  const fs::path target = dir_ / "runs" / "model.safetensors", link = dir_ / "latest.safetensors";
  fs::create_directory(dir_ / "runs");
  save_safetensors(target, {{"x", tg::tensor({1.0})}});
  fs::create_symlink(fs::path("runs") / "model.safetensors", link);  // relative, as `ln -s` makes them
  fs::create_symlink(link.filename(), dir_ / "link_to_link");

  save_safetensors(link, {{"x", tg::tensor({2.0})}});
  EXPECT_TRUE(fs::is_symlink(link));
  EXPECT_EQ(saved_value(target), 2.0);
  save_safetensors(dir_ / "link_to_link", {{"x", tg::tensor({3.0})}});
  EXPECT_TRUE(fs::is_symlink(dir_ / "link_to_link"));
  EXPECT_EQ(saved_value(target), 3.0);
  EXPECT_EQ(listing(dir_), (std::set<std::string>{"latest.safetensors", "link_to_link", "runs"}));
  EXPECT_EQ(listing(dir_ / "runs"), std::set<std::string>{"model.safetensors"});

  fs::create_symlink("new.safetensors", dir_ / "dangling");  // a link to a file to be made: save makes it
  save_safetensors(dir_ / "dangling", {{"x", tg::tensor({4.0})}});
  EXPECT_TRUE(fs::is_symlink(dir_ / "dangling"));
  EXPECT_EQ(saved_value(dir_ / "new.safetensors"), 4.0);
}

TEST_F(SaveTest, TheNextSaveRemovesTheTemporariesOfKilledSavesAndNothingElse) {
  const fs::path file = dir_ / "model.safetensors";
  save_safetensors(file, {{"x", tg::tensor({1.0})}});
  // What a save killed after writing part of its temporary leaves: a file of the temporaries' name that
  // no process holds the lock of (the lock goes with the process, however it ends).
  for (const char* stale : {".model.safetensors.tapegrad-tmp-999999-0", ".model.safetensors.tapegrad-tmp-1-7"})
    write_file(dir_ / stale, "partial");
  // Kept: a save in progress (it holds the lock), and files that only look like temporaries.
  const fs::path live = dir_ / ".model.safetensors.tapegrad-tmp-1-8";
  write_file(live, "in progress");
  const int live_fd = ::open(live.c_str(), O_RDONLY);
  ASSERT_EQ(::flock(live_fd, LOCK_EX), 0);
  const std::set<std::string> not_ours = {".model.safetensors.tapegrad-tmp-notes", ".other.safetensors.tapegrad-tmp-5-0",
                                          "model.safetensors.tapegrad-tmp-5-0", ".model.safetensors.tapegrad-tmp-5-"};
  for (const std::string& name : not_ours) write_file(dir_ / name, "keep me");

  save_safetensors(file, {{"x", tg::tensor({2.0})}});
  ::close(live_fd);
  std::set<std::string> expected = not_ours;
  expected.insert({"model.safetensors", live.filename()});
  EXPECT_EQ(listing(dir_), expected);
  EXPECT_EQ(saved_value(file), 2.0);
  for (const std::string& name : not_ours) EXPECT_EQ(read_file(dir_ / name), "keep me") << name;
}

TEST_F(SaveTest, ASaveKilledMidWriteLeavesTheOldFileWholeAndItsTemporaryIsRemovedNextTime) {
  const fs::path file = dir_ / "model.safetensors";
  save_safetensors(file, {{"x", tg::tensor({1.0})}});
  const std::string before = read_file(file);
  const std::string prefix = ".model.safetensors.tapegrad-tmp-";
  const auto has_temporary = [&] {
    const std::set<std::string> names = listing(dir_);
    return std::any_of(names.begin(), names.end(), [&](const std::string& n) { return n.starts_with(prefix); });
  };
  // A child saves 16 MiB over and over; it is killed once its temporary is seen. Killed between two saves,
  // it leaves no temporary: try again (each save takes long enough that the first try nearly always hits).
  constexpr std::int64_t kBigElements = 4 << 20;
  bool orphaned = false;
  for (int attempt = 0; attempt < 5 && !orphaned; ++attempt) {
    const pid_t child = ::fork();
    if (child == 0) {
      const NamedTensors big = {{"x", tg::zeros({kBigElements})}};
      for (;;) save_safetensors(file, big);
    }
    for (int polls = 0; polls < 20000 && !has_temporary(); ++polls) ::usleep(100);  // a hang guard only
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    orphaned = has_temporary();
    if (!orphaned) save_safetensors(file, {{"x", tg::tensor({1.0})}});  // the child's last save completed
  }
  ASSERT_TRUE(orphaned);
  const std::string after_kill = read_file(file);
  EXPECT_TRUE(after_kill == before || load_safetensors(file).tensors.at(0).second.numel() == kBigElements);

  save_safetensors(file, {{"x", tg::tensor({2.0})}});
  EXPECT_FALSE(has_temporary());
  EXPECT_EQ(listing(dir_), std::set<std::string>{"model.safetensors"});
  EXPECT_EQ(saved_value(file), 2.0);
}

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
