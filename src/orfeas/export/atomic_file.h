// Files that appear whole or not at all.
#pragma once

#include <filesystem>
#include <string_view>

namespace orfeas {

// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it over `path` and fsyncs
// the directory. On any failure the temporary file is removed, `path` is untouched and
// Error{kBadInput} (the directory is missing or not writable) or Error{kInternal} is thrown.
void write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace orfeas
