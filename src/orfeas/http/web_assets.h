// The browser UI's files, compiled into the binary. The definition is generated at build time by
// cmake/EmbedFiles.cmake from web/ and Debian's libjs-three (see src/orfeas/http/CMakeLists.txt).
#pragma once

#include <span>
#include <string_view>

namespace orfeas {

struct WebAsset {
  std::string_view name;   // file name as served under /ui/, e.g. "app.js"
  std::string_view bytes;  // the file's content
};

// Every embedded file, each name once.
std::span<const WebAsset> web_assets();

}  // namespace orfeas
