#include "orfeas/jobs/mesh_job_options.h"

#include <cmath>

#include "orfeas/core/error.h"
#include "orfeas/generate/registry.h"

namespace orfeas {
namespace {

constexpr double kMaxFaces = 5'000'000;
constexpr double kMaxPriority = 1000;

// The integer value of option `name`, which must lie in [min, max].
long long integer_option(const nlohmann::json& value, std::string_view name, double min,
                         double max) {
  if (!value.is_number() || std::floor(value.get<double>()) != value.get<double>() ||
      value.get<double>() < min || value.get<double>() > max) {
    throw Error(ErrorCode::kBadInput,
                "option " + std::string(name) + " must be an integer from " +
                    std::to_string(static_cast<long long>(min)) + " to " +
                    std::to_string(static_cast<long long>(max)),
                {{"option", name}});
  }
  return static_cast<long long>(value.get<double>());
}

std::string string_option(const nlohmann::json& value, std::string_view name) {
  if (!value.is_string()) {
    throw Error(ErrorCode::kBadInput, "option " + std::string(name) + " must be a string",
                {{"option", name}});
  }
  return value.get<std::string>();
}

}  // namespace

MeshJobOptions MeshJobOptions::parse(const nlohmann::json& request) {
  if (!request.is_null() && !request.is_object()) {
    throw Error(ErrorCode::kBadInput, "options must be a JSON object");
  }
  MeshJobOptions options;
  nlohmann::json generator_options = nlohmann::json::object();
  if (request.is_object()) {
    for (const auto& [name, value] : request.items()) {
      if (name == "method") {
        options.method = string_option(value, name);
      } else if (name == "format") {
        options.format = parse_mesh_format(string_option(value, name));
      } else if (name == "faces") {
        options.faces = static_cast<std::size_t>(integer_option(value, name, 0, kMaxFaces));
      } else if (name == "priority") {
        options.priority = static_cast<int>(integer_option(value, name, -kMaxPriority, kMaxPriority));
      } else {
        generator_options[name] = value;
      }
    }
  }
  options.generator_options = find_generator(options.method).resolve(generator_options);
  return options;
}

MeshJobOptions MeshJobOptions::from_stored(const std::string& method, const nlohmann::json& stored,
                                           int priority) {
  nlohmann::json request = stored;
  request["method"] = method;
  request["priority"] = priority;
  return parse(request);
}

nlohmann::json MeshJobOptions::stored() const {
  nlohmann::json stored = generator_options;
  stored["format"] = mesh_format_name(format);
  stored["faces"] = faces;
  return stored;
}

std::string MeshJobOptions::batch_key() const {
  return find_generator(method).batch_key(generator_options);
}

}  // namespace orfeas
