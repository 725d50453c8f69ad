#include "orfeas/export/mesh_writer.h"

#include <Model/COM/NMR_DLLInterfaces.h>
#include <tiny_gltf.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>
#include <vector>

#include "orfeas/core/error.h"
#include "orfeas/export/atomic_file.h"

namespace orfeas {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the binary encoders copy little-endian memory as is");
static_assert(sizeof(Vec3) == 3 * sizeof(float) && sizeof(Triangle) == 3 * sizeof(std::uint32_t),
              "the binary encoders copy vertex and triangle arrays as is");

// Throws Error{kInternal} unless the mesh can be written: not empty, counts that fit the 32-bit
// fields of every format, indices in range, finite coordinates.
void check_exportable(const Mesh& mesh) {
  auto fail = [](const std::string& why) {
    throw Error(ErrorCode::kInternal, "cannot export mesh: " + why);
  };
  if (mesh.empty()) fail("it has no triangles");
  constexpr std::size_t kMaxCount = std::numeric_limits<std::uint32_t>::max();
  if (mesh.vertices.size() > kMaxCount || mesh.triangles.size() > kMaxCount) {
    fail("more than 2^32-1 vertices or triangles");
  }
  for (const Triangle& t : mesh.triangles) {
    for (std::uint32_t v : t) {
      if (v >= mesh.vertices.size()) fail("a triangle indexes vertex " + std::to_string(v));
    }
  }
  for (const Vec3& p : mesh.vertices) {
    if (!std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z)) {
      fail("a vertex is not finite");
    }
  }
}

template <typename T>
void append_bytes(std::string& out, const T& value) {
  out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

template <typename T>
void append_array(std::string& out, const std::vector<T>& values) {
  out.append(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

Vec3 unit_normal(const Mesh& mesh, const Triangle& t) {
  const Vec3 a = mesh.vertices[t[0]], b = mesh.vertices[t[1]], c = mesh.vertices[t[2]];
  const Vec3 n = cross(b - a, c - a);
  const float len = length(n);
  return len > 0 ? n * (1 / len) : Vec3{};
}

void append_decimal(std::string& out, float value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

// --- 3MF: lib3mf's C interface, whose objects are released with lib3mf_release.

struct Lib3mfRelease {
  void operator()(NMR::PLib3MFBase* instance) const { NMR::lib3mf_release(instance); }
};
using Lib3mfHandle = std::unique_ptr<NMR::PLib3MFBase, Lib3mfRelease>;

void check_lib3mf(LIB3MFRESULT result, NMR::PLib3MFBase* instance, const char* step) {
  if (result == LIB3MF_OK) return;
  DWORD code = 0;
  LPCSTR message = nullptr;
  if (instance != nullptr) NMR::lib3mf_getlasterror(instance, &code, &message);
  throw Error(ErrorCode::kInternal,
              std::string("3MF export failed to ") + step + ": " +
                  (message != nullptr ? message : "unknown error"),
              {{"lib3mf_result", result}, {"lib3mf_error", code}});
}

}  // namespace

std::string encode_stl(const Mesh& mesh) {
  check_exportable(mesh);
  std::string out;
  out.reserve(84 + mesh.triangles.size() * 50);
  char header[80] = "Orfeas binary STL";
  out.append(header, sizeof header);
  append_bytes(out, static_cast<std::uint32_t>(mesh.triangles.size()));
  for (const Triangle& t : mesh.triangles) {
    append_bytes(out, unit_normal(mesh, t));
    for (std::uint32_t v : t) append_bytes(out, mesh.vertices[v]);
    append_bytes(out, std::uint16_t{0});  // attribute byte count
  }
  return out;
}

std::string encode_obj(const Mesh& mesh) {
  check_exportable(mesh);
  std::string out = "# Orfeas\n";
  for (const Vec3& p : mesh.vertices) {
    out += "v ";
    append_decimal(out, p.x);
    out += ' ';
    append_decimal(out, p.y);
    out += ' ';
    append_decimal(out, p.z);
    out += '\n';
  }
  for (const Triangle& t : mesh.triangles) {
    out += "f " + std::to_string(t[0] + std::uint64_t{1}) + ' ' +
           std::to_string(t[1] + std::uint64_t{1}) + ' ' + std::to_string(t[2] + std::uint64_t{1}) +
           '\n';
  }
  return out;
}

std::string encode_ply(const Mesh& mesh) {
  check_exportable(mesh);
  std::string out =
      "ply\n"
      "format binary_little_endian 1.0\n"
      "element vertex " +
      std::to_string(mesh.vertices.size()) +
      "\n"
      "property float x\n"
      "property float y\n"
      "property float z\n"
      "element face " +
      std::to_string(mesh.triangles.size()) +
      "\n"
      "property list uchar uint vertex_indices\n"
      "end_header\n";
  out.reserve(out.size() + mesh.vertices.size() * 12 + mesh.triangles.size() * 13);
  append_array(out, mesh.vertices);
  for (const Triangle& t : mesh.triangles) {
    append_bytes(out, std::uint8_t{3});
    append_bytes(out, t);
  }
  return out;
}

std::string encode_glb(const Mesh& mesh) {
  check_exportable(mesh);
  const std::size_t positions_bytes = mesh.vertices.size() * sizeof(Vec3);
  const std::size_t indices_bytes = mesh.triangles.size() * sizeof(Triangle);
  // GLB sizes are 32-bit; leave room for the JSON chunk.
  if (positions_bytes + indices_bytes > std::numeric_limits<std::uint32_t>::max() - (1u << 20)) {
    throw Error(ErrorCode::kTooLarge, "mesh too large for GLB, whose files stop at 4 GiB");
  }

  tinygltf::Model model;
  model.asset.version = "2.0";
  model.asset.generator = "Orfeas";

  tinygltf::Buffer buffer;
  buffer.data.resize(positions_bytes + indices_bytes);
  std::memcpy(buffer.data.data(), mesh.vertices.data(), positions_bytes);
  std::memcpy(buffer.data.data() + positions_bytes, mesh.triangles.data(), indices_bytes);
  model.buffers.push_back(std::move(buffer));

  tinygltf::BufferView positions_view;
  positions_view.buffer = 0;
  positions_view.byteOffset = 0;
  positions_view.byteLength = positions_bytes;
  positions_view.target = TINYGLTF_TARGET_ARRAY_BUFFER;
  tinygltf::BufferView indices_view;
  indices_view.buffer = 0;
  indices_view.byteOffset = positions_bytes;
  indices_view.byteLength = indices_bytes;
  indices_view.target = TINYGLTF_TARGET_ELEMENT_ARRAY_BUFFER;
  model.bufferViews = {positions_view, indices_view};

  tinygltf::Accessor positions;
  positions.bufferView = 0;
  positions.componentType = TINYGLTF_COMPONENT_TYPE_FLOAT;
  positions.count = mesh.vertices.size();
  positions.type = TINYGLTF_TYPE_VEC3;
  // glTF requires the bounds of every element of a POSITION accessor, used or not.
  positions.minValues.assign(3, std::numeric_limits<double>::infinity());
  positions.maxValues.assign(3, -std::numeric_limits<double>::infinity());
  for (const Vec3& p : mesh.vertices) {
    for (int axis = 0; axis < 3; ++axis) {
      positions.minValues[axis] = std::min<double>(positions.minValues[axis], p[axis]);
      positions.maxValues[axis] = std::max<double>(positions.maxValues[axis], p[axis]);
    }
  }
  tinygltf::Accessor indices;
  indices.bufferView = 1;
  indices.componentType = TINYGLTF_COMPONENT_TYPE_UNSIGNED_INT;
  indices.count = mesh.triangles.size() * 3;
  indices.type = TINYGLTF_TYPE_SCALAR;
  model.accessors = {positions, indices};

  tinygltf::Primitive primitive;
  primitive.attributes["POSITION"] = 0;
  primitive.indices = 1;
  primitive.mode = TINYGLTF_MODE_TRIANGLES;
  model.meshes.emplace_back().primitives.push_back(primitive);
  model.nodes.emplace_back().mesh = 0;
  model.scenes.emplace_back().nodes.push_back(0);
  model.defaultScene = 0;

  std::ostringstream out;
  if (!tinygltf::TinyGLTF().WriteGltfSceneToStream(&model, out, /*prettyPrint=*/false,
                                                   /*writeBinary=*/true)) {
    throw Error(ErrorCode::kInternal, "GLB export failed");
  }
  return std::move(out).str();
}

std::string encode_3mf(const Mesh& mesh) {
  check_exportable(mesh);
  std::vector<NMR::MODELMESHVERTEX> vertices(mesh.vertices.size());
  for (std::size_t i = 0; i < vertices.size(); ++i) {
    const Vec3& p = mesh.vertices[i];
    vertices[i] = {{p.x, p.y, p.z}};
  }
  std::vector<NMR::MODELMESHTRIANGLE> triangles(mesh.triangles.size());
  for (std::size_t i = 0; i < triangles.size(); ++i) {
    const Triangle& t = mesh.triangles[i];
    triangles[i] = {{t[0], t[1], t[2]}};
  }

  NMR::PLib3MFModel* raw = nullptr;
  check_lib3mf(NMR::lib3mf_createmodel(&raw), nullptr, "create a model");
  const Lib3mfHandle model(raw);
  check_lib3mf(NMR::lib3mf_model_setunit(model.get(), NMR::MODELUNIT_MILLIMETER), model.get(),
               "set the unit");
  check_lib3mf(NMR::lib3mf_model_addmeshobject(model.get(), &raw), model.get(), "add a mesh");
  const Lib3mfHandle object(raw);
  check_lib3mf(NMR::lib3mf_meshobject_setgeometry(
                   object.get(), vertices.data(), static_cast<DWORD>(vertices.size()),
                   triangles.data(), static_cast<DWORD>(triangles.size())),
               object.get(), "set the geometry");
  check_lib3mf(NMR::lib3mf_model_addbuilditem(model.get(), object.get(), nullptr, &raw),
               model.get(), "add a build item");
  const Lib3mfHandle item(raw);
  check_lib3mf(NMR::lib3mf_model_querywriter(model.get(), "3mf", &raw), model.get(),
               "create a writer");
  const Lib3mfHandle writer(raw);
  ULONG64 size = 0;
  check_lib3mf(NMR::lib3mf_writer_getstreamsize(writer.get(), &size), writer.get(),
               "measure the package");
  std::string out(size, '\0');
  check_lib3mf(
      NMR::lib3mf_writer_writetobuffer(writer.get(), reinterpret_cast<BYTE*>(out.data()), size),
      writer.get(), "write the package");
  return out;
}

std::string encode_mesh(const Mesh& mesh, MeshFormat format) {
  switch (format) {
    case MeshFormat::kStl:
      return encode_stl(mesh);
    case MeshFormat::kObj:
      return encode_obj(mesh);
    case MeshFormat::kPly:
      return encode_ply(mesh);
    case MeshFormat::kGlb:
      return encode_glb(mesh);
    case MeshFormat::k3mf:
      return encode_3mf(mesh);
  }
  throw Error(ErrorCode::kInternal, "unknown mesh format");
}

void write_mesh(const Mesh& mesh, MeshFormat format, const std::filesystem::path& path) {
  write_file_atomically(path, encode_mesh(mesh, format));
}

}  // namespace orfeas
