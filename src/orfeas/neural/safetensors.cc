#include "orfeas/neural/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <set>

#include <nlohmann/json.hpp>

#include "orfeas/core/error.h"

namespace orfeas::neural {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian; a big-endian host would need byte swapping");

namespace fs = std::filesystem;

// The reference implementation refuses headers above 100 MB; so do we.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;

struct DtypeInfo {
  const char* name;
  at::ScalarType type;
};

constexpr DtypeInfo kDtypes[] = {
    {"F16", at::kHalf}, {"BF16", at::kBFloat16}, {"F32", at::kFloat}, {"F64", at::kDouble},
    {"I64", at::kLong}, {"I32", at::kInt},       {"I16", at::kShort}, {"I8", at::kChar},
    {"U8", at::kByte},  {"BOOL", at::kBool},
};

std::optional<at::ScalarType> dtype_from_name(const std::string& name) {
  for (const DtypeInfo& d : kDtypes) {
    if (name == d.name) return d.type;
  }
  return std::nullopt;
}

std::optional<std::string> dtype_name(at::ScalarType type) {
  for (const DtypeInfo& d : kDtypes) {
    if (type == d.type) return d.name;
  }
  return std::nullopt;
}

// A private, writable (copy-on-write) mapping of a whole file.
class Mapping {
 public:
  Mapping(void* data, size_t size) : data_(data), size_(size) {}
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() { munmap(data_, size_); }

  uint8_t* bytes() const { return static_cast<uint8_t*>(data_); }
  size_t size() const { return size_; }

 private:
  void* data_;
  size_t size_;
};

std::shared_ptr<Mapping> map_file(const fs::path& file) {
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error(ErrorCode::kNotFound,
                "cannot open safetensors file '" + file.string() + "': " + std::strerror(errno),
                {{"path", file.string()}});
  }
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    throw Error(ErrorCode::kBadInput, "'" + file.string() + "' is not a regular file",
                {{"path", file.string()}});
  }
  const auto size = static_cast<size_t>(info.st_size);
  if (size < 8) {
    close(fd);
    throw Error(ErrorCode::kBadInput,
                "safetensors file '" + file.string() + "' is too short for a header",
                {{"path", file.string()}});
  }
  void* data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  close(fd);
  if (data == MAP_FAILED) {
    throw Error(ErrorCode::kInternal,
                "cannot map '" + file.string() + "': " + std::strerror(map_errno),
                {{"path", file.string()}});
  }
  return std::make_shared<Mapping>(data, size);
}

struct Entry {
  std::string name;
  at::ScalarType type;
  std::vector<int64_t> shape;
  uint64_t begin, end;  // relative to the start of the data
};

class HeaderReader {
 public:
  HeaderReader(const fs::path& file, uint64_t data_size) : file_(file), data_size_(data_size) {}

  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ErrorCode::kBadInput,
                "malformed safetensors file '" + file_.string() + "': " + what,
                {{"path", file_.string()}});
  }

  std::vector<Entry> read(std::string_view text) const {
    nlohmann::json header = parse(text);
    if (!header.is_object()) fail("the header is not a JSON object");
    std::vector<Entry> entries;
    for (const auto& [name, value] : header.items()) {
      if (name == "__metadata__") {
        check_metadata(value);
      } else {
        entries.push_back(read_entry(name, value));
      }
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
      return a.begin < b.begin || (a.begin == b.begin && a.end < b.end);
    });
    uint64_t covered = 0;
    for (const Entry& entry : entries) {
      if (entry.begin < covered) fail("tensor '" + entry.name + "' overlaps another tensor");
      if (entry.begin > covered) {
        fail("data bytes " + std::to_string(covered) + ".." + std::to_string(entry.begin) +
             " belong to no tensor");
      }
      covered = entry.end;
    }
    if (covered != data_size_) {
      fail("data bytes " + std::to_string(covered) + ".." + std::to_string(data_size_) +
           " belong to no tensor");
    }
    return entries;
  }

 private:
  nlohmann::json parse(std::string_view text) const {
    // Reject duplicate tensor names, which nlohmann would silently merge.
    std::set<std::string> names;
    bool duplicate = false;
    std::string duplicate_name;
    const nlohmann::json::parser_callback_t callback =
        [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
          if (depth == 1 && event == nlohmann::json::parse_event_t::key &&
              !names.insert(parsed.get<std::string>()).second && !duplicate) {
            duplicate = true;
            duplicate_name = parsed.get<std::string>();
          }
          return true;
        };
    nlohmann::json header;
    try {
      header = nlohmann::json::parse(text.begin(), text.end(), callback);
    } catch (const nlohmann::json::parse_error& e) {
      fail(std::string("the header is not valid JSON: ") + e.what());
    }
    if (duplicate) fail("tensor '" + duplicate_name + "' appears twice");
    return header;
  }

  void check_metadata(const nlohmann::json& value) const {
    if (!value.is_object()) fail("__metadata__ is not an object");
    for (const auto& [key, item] : value.items()) {
      if (!item.is_string()) fail("__metadata__ value '" + key + "' is not a string");
    }
  }

  uint64_t read_unsigned(const nlohmann::json& value, const std::string& what) const {
    if (!value.is_number_unsigned()) fail(what + " is not a non-negative integer");
    return value.get<uint64_t>();
  }

  Entry read_entry(const std::string& name, const nlohmann::json& value) const {
    const std::string where = "tensor '" + name + "'";
    if (!value.is_object()) fail(where + " is not an object");
    for (const auto& [key, item] : value.items()) {
      if (key != "dtype" && key != "shape" && key != "data_offsets") {
        fail(where + " has an unknown field '" + key + "'");
      }
    }
    if (!value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets")) {
      fail(where + " lacks one of dtype, shape, data_offsets");
    }
    Entry entry;
    entry.name = name;
    const nlohmann::json& dtype = value["dtype"];
    if (!dtype.is_string()) fail(where + " has a non-string dtype");
    const std::optional<at::ScalarType> type = dtype_from_name(dtype.get<std::string>());
    if (!type) fail(where + " has unsupported dtype '" + dtype.get<std::string>() + "'");
    entry.type = *type;

    const nlohmann::json& shape = value["shape"];
    if (!shape.is_array()) fail(where + " has a shape that is not a list");
    uint64_t bytes = at::elementSize(entry.type);
    for (const nlohmann::json& dim : shape) {
      const uint64_t size = read_unsigned(dim, where + " shape entry");
      if (size > static_cast<uint64_t>(INT64_MAX) || __builtin_mul_overflow(bytes, size, &bytes)) {
        fail(where + " has a shape too large for any file");
      }
      entry.shape.push_back(static_cast<int64_t>(size));
    }

    const nlohmann::json& offsets = value["data_offsets"];
    if (!offsets.is_array() || offsets.size() != 2) fail(where + " data_offsets is not a pair");
    entry.begin = read_unsigned(offsets[0], where + " data_offsets");
    entry.end = read_unsigned(offsets[1], where + " data_offsets");
    if (entry.begin > entry.end || entry.end > data_size_) {
      fail(where + " data_offsets [" + std::to_string(entry.begin) + ", " +
           std::to_string(entry.end) + "] lie outside the " + std::to_string(data_size_) +
           " data bytes");
    }
    if (entry.end - entry.begin != bytes) {
      fail(where + " holds " + std::to_string(entry.end - entry.begin) +
           " bytes but its shape and " + dtype.get<std::string>() + " need " +
           std::to_string(bytes));
    }
    return entry;
  }

  const fs::path& file_;
  uint64_t data_size_;
};

}  // namespace

TensorList read_safetensors(const fs::path& file) {
  const std::shared_ptr<Mapping> mapping = map_file(file);
  uint64_t header_size = 0;
  std::memcpy(&header_size, mapping->bytes(), sizeof header_size);
  const uint64_t available = mapping->size() - 8;
  if (header_size > kMaxHeaderBytes || header_size > available) {
    HeaderReader(file, 0).fail("header length " + std::to_string(header_size) + " exceeds the " +
                               std::to_string(available) + " bytes after it");
  }
  const uint8_t* data = mapping->bytes() + 8 + header_size;
  const HeaderReader reader(file, available - header_size);
  const std::vector<Entry> entries = reader.read(
      std::string_view(reinterpret_cast<const char*>(mapping->bytes() + 8), header_size));

  TensorList tensors;
  tensors.reserve(entries.size());
  for (const Entry& entry : entries) {
    const auto options = at::TensorOptions().dtype(entry.type);
    if (entry.begin == entry.end) {
      tensors.emplace_back(entry.name, at::empty(entry.shape, options));
      continue;
    }
    uint8_t* bytes = const_cast<uint8_t*>(data) + entry.begin;
    if (entry.type == at::kBool &&
        std::any_of(bytes, bytes + (entry.end - entry.begin), [](uint8_t b) { return b > 1; })) {
      reader.fail("bool tensor '" + entry.name + "' holds a byte other than 0 or 1");
    }
    at::Tensor tensor = at::from_blob(
        bytes, entry.shape, [mapping](void*) {}, options);
    if (reinterpret_cast<uintptr_t>(bytes) % at::elementSize(entry.type) != 0) {
      tensor = tensor.clone();
    }
    tensors.emplace_back(entry.name, std::move(tensor));
  }
  return tensors;
}

void write_safetensors(const fs::path& file, const TensorList& tensors) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  std::vector<at::Tensor> contiguous;
  uint64_t offset = 0;
  std::set<std::string> names;
  for (const auto& [name, tensor] : tensors) {
    const std::optional<std::string> dtype = dtype_name(tensor.scalar_type());
    if (!dtype) {
      throw Error(ErrorCode::kBadInput, "tensor '" + name + "' has a dtype safetensors cannot hold",
                  {{"path", file.string()}});
    }
    if (name == "__metadata__" || !names.insert(name).second) {
      throw Error(
          ErrorCode::kBadInput,
          "tensor name '" + name + "' is reserved or appears twice in '" + file.string() + "'",
          {{"path", file.string()}});
    }
    contiguous.push_back(tensor.to(at::kCPU).contiguous());
    const uint64_t bytes = contiguous.back().nbytes();
    header[name] = {{"dtype", *dtype},
                    {"shape", tensor.sizes().vec()},
                    {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string header_text = header.dump();
  header_text.append((8 - header_text.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  const uint64_t header_size = header_text.size();

  const fs::path temporary = file.string() + ".tmp" + std::to_string(getpid());
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(&header_size), sizeof header_size);
    out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
    for (const at::Tensor& tensor : contiguous) {
      out.write(static_cast<const char*>(tensor.data_ptr()),
                static_cast<std::streamsize>(tensor.nbytes()));
    }
    out.close();
    if (!out) {
      std::error_code ignored;
      fs::remove(temporary, ignored);
      throw Error(ErrorCode::kInternal, "cannot write safetensors file '" + file.string() + "'",
                  {{"path", file.string()}});
    }
  }
  std::error_code error;
  fs::rename(temporary, file, error);
  if (error) {
    std::error_code ignored;
    fs::remove(temporary, ignored);
    throw Error(ErrorCode::kInternal,
                "cannot write safetensors file '" + file.string() + "': " + error.message(),
                {{"path", file.string()}});
  }
}

}  // namespace orfeas::neural
