#include "orfeas/neural/hunyuan3d_generator.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <map>
#include <utility>

#include "orfeas/core/error.h"
#include "orfeas/generate/registry.h"
#include "orfeas/neural/device.h"
#include "orfeas/neural/photo_rgba.h"
#include "orfeas/neural/volume_decoding.h"

namespace orfeas::neural {
namespace {

namespace fs = std::filesystem;

constexpr OptionSpec kSpecs[] = {
    {"resolution", 16, 512, 384, true,
     "octree resolution: grid cells along each side of the decoding box"},
    kSizeOption,
    {"steps", 1, 200, 50, true, "sampling steps"},
    {"guidance", 0, 30, 5, false,
     "guidance scale (classifier-free, or embedded in distilled models)"},
    {"seed", 0, 4294967295.0, 0, true, "seed of the job's initial noise"},
};
constexpr std::string_view kModelDescription =
    "the model: ORFEAS_HUNYUAN3D_MODEL's or a released DiT directory beside it";
constexpr std::string_view kDitDirectoryPrefix = "hunyuan3d-dit-";

// The value the ring of samples around a decoded grid gets: outside, in logit units.
constexpr float kOutsideLogit = -1.0f;

std::string environment(const char* name, const std::string& fallback = {}) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? std::string(value) : fallback;
}

ShapeSettings shape_settings(const nlohmann::json& options, const Hunyuan3dSettings& settings) {
  ShapeSettings shape;
  shape.steps = options.at("steps").get<int64_t>();
  shape.guidance_scale = options.at("guidance").get<double>();
  shape.octree_resolution = options.at("resolution").get<int64_t>();
  shape.hierarchical = settings.decoder == "hierarchical";
  return shape;
}

}  // namespace

Hunyuan3dSettings Hunyuan3dSettings::from_environment() {
  Hunyuan3dSettings settings;
  settings.model_directory = environment("ORFEAS_HUNYUAN3D_MODEL");
  settings.vae_directory = environment("ORFEAS_HUNYUAN3D_VAE");
  settings.device = environment("ORFEAS_HUNYUAN3D_DEVICE", settings.device);
  settings.dtype = environment("ORFEAS_HUNYUAN3D_DTYPE", settings.dtype);
  settings.decoder = environment("ORFEAS_HUNYUAN3D_DECODER", settings.decoder);
  return settings;
}

std::vector<std::string> hunyuan3d_model_names(const fs::path& model_directory) {
  if (model_directory.empty()) return {};
  fs::path directory = model_directory.lexically_normal();
  if (!directory.has_filename()) directory = directory.parent_path();  // it ended in '/'
  std::vector<std::string> beside;
  std::error_code error;
  for (fs::directory_iterator
           it(directory.parent_path().empty() ? "." : directory.parent_path(), error),
       end;
       !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with(kDitDirectoryPrefix) && name != directory.filename() &&
        fs::is_regular_file(it->path() / kModelConfigFile, error)) {
      beside.push_back(name);
    }
  }
  std::sort(beside.begin(), beside.end());
  beside.insert(beside.begin(), directory.filename().string());
  return beside;
}

Hunyuan3dGenerator::Hunyuan3dGenerator(Hunyuan3dSettings settings)
    : settings_(std::move(settings)),
      model_names_(hunyuan3d_model_names(settings_.model_directory)),
      specs_(std::begin(kSpecs), std::end(kSpecs)),
      planner_([this] { return free_device_bytes(pipeline_->options().device()); }) {
  if (!model_names_.empty())
    specs_.push_back({"model", 0, 0, 0, false, kModelDescription, model_names_});
}

std::span<const OptionSpec> Hunyuan3dGenerator::option_specs() const { return specs_; }

std::string Hunyuan3dGenerator::batch_key(const nlohmann::json& resolved_options) const {
  return "hunyuan3d/model=" + resolved_options.value("model", std::string()) +
         "/steps=" + resolved_options.at("steps").dump() +
         "/guidance=" + resolved_options.at("guidance").dump() +
         "/resolution=" + resolved_options.at("resolution").dump();
}

const ShapePipeline& Hunyuan3dGenerator::pipeline(const std::string& model) const {
  if (pipeline_ && loaded_model_ == model) return *pipeline_;
  if (settings_.model_directory.empty()) {
    throw Error(ErrorCode::kUnavailable,
                "the hunyuan3d method has no model: set ORFEAS_HUNYUAN3D_MODEL to a released "
                "model directory such as Hunyuan3D-2/hunyuan3d-dit-v2-0");
  }
  try {
    if (settings_.decoder != "dense" && settings_.decoder != "hierarchical") {
      throw Error(ErrorCode::kBadInput,
                  "ORFEAS_HUNYUAN3D_DECODER must be dense or hierarchical, not '" +
                      settings_.decoder + "'");
    }
    const at::TensorOptions target = select_device(settings_.device, settings_.dtype);
    pipeline_.reset();  // the loaded model's memory is freed before the next one loads
    model_.reset();
    const fs::path directory =
        model == model_names_.front()
            ? settings_.model_directory
            : settings_.model_directory.lexically_normal().parent_path() / model;
    model_ = std::make_unique<Hunyuan3dModel>(
        Hunyuan3dModel::load(directory, target, settings_.vae_directory));
  } catch (const Error& e) {
    // A model the service cannot load is its configuration's fault, not the request's.
    throw Error(ErrorCode::kUnavailable, "the hunyuan3d model cannot be loaded: " + e.message(),
                e.details());
  }
  pipeline_ = std::make_unique<ShapePipeline>(*model_);
  loaded_model_ = model;
  planner_ = BatchPlanner([this] { return free_device_bytes(pipeline_->options().device()); });
  return *pipeline_;
}

std::vector<Field> Hunyuan3dGenerator::generate(std::span<const GeneratorInput> inputs,
                                                const ProgressFn& progress,
                                                const CancelToken& cancel) const {
  std::vector<nlohmann::json> resolved;
  std::map<std::string, std::vector<size_t>> groups;  // inputs by batch key
  for (size_t i = 0; i < inputs.size(); ++i) {
    resolved.push_back(resolve(inputs[i].options));
    groups[batch_key(resolved.back())].push_back(i);
  }
  cancel.throw_if_cancelled();
  const std::lock_guard<std::mutex> lock(mutex_);
  const c10::InferenceMode inference;

  std::vector<Field> fields(inputs.size());
  const auto total = static_cast<double>(inputs.size());
  size_t done = 0;  // inputs of earlier groups
  for (const auto& [key, group] : groups) {
    const ShapePipeline& shapes = pipeline(resolved[group.front()].value("model", std::string()));
    const ShapeSettings settings = shape_settings(resolved[group.front()], settings_);
    std::vector<at::Tensor> images;
    std::vector<uint64_t> seeds;
    for (size_t i : group) {
      images.push_back(shapes.process(cutout_to_rgba(inputs[i].cutout)));
      seeds.push_back(resolved[i].at("seed").get<uint64_t>());
    }
    const at::Tensor all_images = at::cat(images, 0);
    const int64_t job_bytes = estimate_job_bytes(shapes.model().config, settings,
                                                 shapes.options().dtype().toScalarType());
    planner_.run(static_cast<int64_t>(group.size()), job_bytes, [&](int64_t begin, int64_t end) {
      const int64_t size = end - begin;
      const StepCallback on_step = [&](int64_t step, int64_t steps) {
        cancel.throw_if_cancelled();
        const double batch_done = static_cast<double>(size * step) / static_cast<double>(steps + 1);
        report(progress, "field",
               (static_cast<double>(done) + static_cast<double>(begin) + batch_done) / total);
      };
      const at::Tensor grids =
          shapes
              .generate(all_images.slice(0, begin, end),
                        std::span<const uint64_t>(seeds).subspan(begin, size), settings, on_step)
              .cpu();
      for (int64_t b = 0; b < size; ++b) {
        fields[group[begin + b]] = surrounded_by_outside(
            volume_to_field(grids[b], settings.decoding.bounds, settings.decoding.mc_level),
            kOutsideLogit);
      }
    });
    done += group.size();
  }
  report(progress, "field", 1.0);
  return fields;
}

Field surrounded_by_outside(const Field& field, float outside) {
  Field result = Field::filled(field.nx + 2, field.ny + 2, field.nz + 2, outside);
  result.origin = field.origin - Vec3{1.0f, 1.0f, 1.0f} * field.spacing;
  result.spacing = field.spacing;
  result.iso = field.iso;
  for (int k = 0; k < field.nz; ++k) {
    for (int j = 0; j < field.ny; ++j) {
      for (int i = 0; i < field.nx; ++i) result.at(i + 1, j + 1, k + 1) = field.at(i, j, k);
    }
  }
  return result;
}

namespace {

// Joins the registry when this library is linked in (as a whole archive: nothing else refers to
// this object file).
[[maybe_unused]] const bool kRegistered = [] {
  register_generator(std::make_unique<Hunyuan3dGenerator>(Hunyuan3dSettings::from_environment()));
  return true;
}();

}  // namespace

}  // namespace orfeas::neural
