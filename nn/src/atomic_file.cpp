// Atomic, durable saves (see atomic_file.hpp), with POSIX calls where std::filesystem has no equivalent:
// fsync, exclusive creation and the lock that tells a live temporary from one whose writer was killed.

#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "tapegrad/nn/safetensors.hpp"

namespace tg::detail {

namespace {

namespace fs = std::filesystem;

std::string error_text(int error) { return std::strerror(error); }

/// The folder a file sits in: "." for a bare name.
fs::path folder_of(const fs::path& file) { return file.has_parent_path() ? file.parent_path() : fs::path("."); }

/// `file` with every symbolic link at its end followed (Linux stops at 40 as well).
fs::path follow_links(std::string_view op, const fs::path& file) {
  constexpr int kMaxLinks = 40;
  fs::path target = file;
  for (int links = 0; links < kMaxLinks; ++links) {
    std::error_code ec;
    if (!fs::is_symlink(fs::symlink_status(target, ec))) return target;
    const fs::path next = fs::read_symlink(target, ec);
    if (ec) fail_checkpoint(op, file, "cannot read the symbolic link " + target.string() + ": " + ec.message());
    target = next.is_absolute() ? next : folder_of(target) / next;
  }
  fail_checkpoint(op, file, "more than " + std::to_string(kMaxLinks) + " symbolic links in a row (a loop?)");
}

void check_folder(std::string_view op, const fs::path& file, const fs::path& folder) {
  std::error_code ec;
  const fs::file_status status = fs::status(folder, ec);
  if (!fs::exists(status)) fail_checkpoint(op, file, "the folder " + folder.string() + " does not exist");
  if (!fs::is_directory(status)) fail_checkpoint(op, file, folder.string() + " is not a folder");
}

/// An open temporary file that is removed again unless it was renamed onto its destination.
class Temporary {
 public:
  Temporary(std::string_view op, const fs::path& file, const fs::path& destination);
  ~Temporary() {
    if (fd_ >= 0) ::close(fd_);
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  Temporary(const Temporary&) = delete;
  Temporary& operator=(const Temporary&) = delete;
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const fs::path& path() const { return path_; }
  /// The data is complete and synced: put it in place of destination, then close it. Renamed while still
  /// open, so the lock keeps other saves' cleaners away until it no longer has a temporary's name.
  void rename_onto(std::string_view op, const fs::path& file, const fs::path& destination);

 private:
  bool try_create(std::string_view op, const fs::path& file, const fs::path& candidate);
  int fd_ = -1;
  fs::path path_;
};

std::atomic<unsigned> temporaries_made{0};  // with the pid, a name no other save picks

Temporary::Temporary(std::string_view op, const fs::path& file, const fs::path& destination) {
  const std::string prefix = (folder_of(destination) / temporary_prefix(destination)).string();
  const std::string pid = std::to_string(::getpid()) + "-";
  while (!try_create(op, file, prefix + pid + std::to_string(temporaries_made++))) {
  }
  struct stat existing {};
  if (::stat(destination.c_str(), &existing) == 0) ::fchmod(fd_, existing.st_mode & 07777);  // keep its mode
}

// false when the name is taken or was removed (as stale) between its creation and the lock: try another.
bool Temporary::try_create(std::string_view op, const fs::path& file, const fs::path& candidate) {
  const int fd = ::open(candidate.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
  if (fd < 0 && errno == EEXIST) return false;
  if (fd < 0)
    fail_checkpoint(op, file, "cannot create a file in " + folder_of(candidate).string() + ": " + error_text(errno));
  // Held until the process ends: a temporary nobody holds a lock on belongs to a save that was killed.
  // Where the file system has no locks, no temporary can be locked by the cleaner either, so none is removed.
  ::flock(fd, LOCK_EX);
  struct stat created {};
  if (::fstat(fd, &created) != 0 || created.st_nlink == 0) {
    ::close(fd);
    return false;
  }
  fd_ = fd;
  path_ = candidate;
  return true;
}

void Temporary::rename_onto(std::string_view op, const fs::path& file, const fs::path& destination) {
  // rename() replaces the destination in one step on POSIX: a reader sees the old file or the new one.
  if (::rename(path_.c_str(), destination.c_str()) != 0)
    fail_checkpoint(op, file, "cannot rename " + path_.string() + " onto " + destination.string() + ": " +
                                  error_text(errno));
  path_.clear();
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) fail_checkpoint(op, file, "cannot write " + destination.string() + ": " + error_text(errno));
}

/// name is prefix, digits, '-', digits: the exact shape of our temporaries' names.
bool is_temporary_name(const std::string& name, const std::string& prefix) {
  if (!name.starts_with(prefix)) return false;
  const std::string rest = name.substr(prefix.size());
  const std::size_t dash = rest.find('-');
  const auto digits = [](std::string_view s) { return !s.empty() && s.find_first_not_of("0123456789") == s.npos; };
  return dash != rest.npos && digits(std::string_view(rest).substr(0, dash)) &&
         digits(std::string_view(rest).substr(dash + 1));
}

/// Removes `candidate` if it is a regular file that no live save holds the lock of.
void remove_if_stale(const fs::path& candidate) {
  const int fd = ::open(candidate.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return;
  struct stat opened {};
  struct stat named {};
  if (::fstat(fd, &opened) == 0 && S_ISREG(opened.st_mode) && ::flock(fd, LOCK_EX | LOCK_NB) == 0 &&
      ::lstat(candidate.c_str(), &named) == 0 && named.st_ino == opened.st_ino && named.st_dev == opened.st_dev)
    ::unlink(candidate.c_str());
  ::close(fd);
}

void remove_stale_temporaries(const fs::path& destination) {
  const std::string prefix = temporary_prefix(destination);
  std::error_code ec;
  for (fs::directory_iterator it(folder_of(destination), ec), end; !ec && it != end; it.increment(ec))
    if (is_temporary_name(it->path().filename().string(), prefix)) remove_if_stale(it->path());
}

void write_all(std::string_view op, const fs::path& file, const Temporary& temporary, std::span<const char> bytes) {
  while (!bytes.empty()) {
    const ssize_t written = ::write(temporary.fd(), bytes.data(), bytes.size());
    if (written < 0 && errno == EINTR) continue;
    if (written < 0)
      fail_checkpoint(op, file, "cannot write " + temporary.path().string() + ": " + error_text(errno));
    bytes = bytes.subspan(static_cast<std::size_t>(written));
  }
}

/// Makes the rename itself durable. A file system that cannot sync a folder (EINVAL) has nothing to sync.
void sync_folder(std::string_view op, const fs::path& file, const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  const int synced = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (synced != 0 && error != EINVAL)
    fail_checkpoint(op, file, "renamed into place, but syncing the folder " + folder.string() +
                                  " failed: " + error_text(error));
}

}  // namespace

std::string temporary_prefix(const fs::path& destination) {
  std::string prefix = ".";  // appended: GCC 12 misreports "literal" + std::string&& under -Wrestrict (PR 105329)
  return prefix.append(destination.filename().string()).append(".tapegrad-tmp-");
}

fs::path save_destination(std::string_view op, const fs::path& file) {
  const fs::path destination = follow_links(op, file);
  std::error_code ec;
  const fs::file_status status = fs::status(destination, ec);
  if (fs::is_directory(status)) fail_checkpoint(op, file, "is a folder, expected a file");
  check_folder(op, file, folder_of(destination));
  if (fs::exists(status) && !fs::is_regular_file(status))
    fail_checkpoint(op, file, "is not a regular file (a device, pipe or socket?), which a save would replace");
  if (fs::exists(status) && ::access(destination.c_str(), W_OK) != 0)
    fail_checkpoint(op, file, "is not writable: " + error_text(errno));
  return destination;
}

void check_can_save(std::string_view op, const fs::path& file) {
  const Temporary probe(op, file, save_destination(op, file));  // removed again on the way out
}

void write_file_atomically(std::string_view op, const fs::path& file, const std::vector<std::span<const char>>& pieces) {
  const fs::path destination = save_destination(op, file);
  remove_stale_temporaries(destination);
  Temporary temporary(op, file, destination);
  for (const std::span<const char> piece : pieces) write_all(op, file, temporary, piece);
  // Without it, a power cut after the rename can leave the new name on a file whose data never reached the disk.
  if (::fsync(temporary.fd()) != 0)
    fail_checkpoint(op, file, "cannot write " + temporary.path().string() + ": " + error_text(errno));
  temporary.rename_onto(op, file, destination);
  sync_folder(op, file, folder_of(destination));
}

}  // namespace tg::detail
