#pragma once
// Internal: how checkpoints reach the disk. A save writes a temporary file beside the destination, fsyncs
// it, renames it onto the destination and fsyncs the folder, so that a reader, a crash or a power cut
// sees the old file or the new one, never a mix. Errors are CheckpointError "op: file: what".

#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace tg::detail {

/// The file a save to `file` replaces: `file`, or the file at the end of its chain of symbolic links (so
/// that the link stays a link). Throws unless that file is absent or a regular file the caller may
/// write, in an existing folder.
[[nodiscard]] std::filesystem::path save_destination(std::string_view op, const std::filesystem::path& file);

/// Throws unless a save to `file` can go ahead: save_destination's checks, then a temporary file created
/// and removed in the destination's folder. Leaves the folder as it was.
void check_can_save(std::string_view op, const std::filesystem::path& file);

/// Replaces `file` (see save_destination) by the concatenation of `pieces`, atomically and durably.
/// Removes the temporaries that earlier saves to the same file left when they were killed.
void write_file_atomically(std::string_view op, const std::filesystem::path& file,
                           const std::vector<std::span<const char>>& pieces);

/// The prefix of the temporaries of saves to `destination`: ".<name>.tapegrad-tmp-"; a temporary is that
/// prefix, the writer's process id, '-' and a counter, e.g. ".model.safetensors.tapegrad-tmp-4711-0".
[[nodiscard]] std::string temporary_prefix(const std::filesystem::path& destination);

}  // namespace tg::detail
