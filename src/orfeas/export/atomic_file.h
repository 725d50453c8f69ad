// Files that appear whole or not at all.
#pragma once

#include <filesystem>
#include <string_view>

namespace orfeas {

// Writes `bytes` to a new temporary file beside `path` (a hidden, uniquely named sibling created
// with mode 0666 less the umask), fsyncs it, renames it over `path` and fsyncs the directory.
// Readers of `path` see either the old file or the new one, never a part.
//
// Throws Error{kBadInput}, naming the path, when the caller chose a bad place: the directory is
// missing, is not a directory, is not writable, or `path` is itself a directory. Throws
// Error{kInternal} for failures of the environment (disk full, I/O error). On any failure before
// the rename the temporary file is removed and `path` is untouched. Only the final directory
// fsync can fail after the rename; then the new file is in place but may not survive a crash,
// and Error{kInternal} is thrown.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace orfeas
