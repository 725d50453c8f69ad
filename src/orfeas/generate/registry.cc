#include "orfeas/generate/registry.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "orfeas/core/error.h"
#include "orfeas/generate/inflate.h"
#include "orfeas/generate/relief.h"

namespace orfeas {
namespace {

// The method a build has only with LibTorch (src/orfeas/neural/hunyuan3d_generator.h).
constexpr std::string_view kNeuralMethod = "hunyuan3d";

// Never destroyed: the generators registered into it live as long as the process (no order of
// static destruction to get wrong), and stay reachable from it to the end, so leak checkers do not
// count them.
std::vector<const Generator*>& all_generators() {
  static const InflateGenerator inflate;
  static const ReliefGenerator relief;
  static std::vector<const Generator*>& generators =
      *new std::vector<const Generator*>{&inflate, &relief};
  return generators;
}

}  // namespace

void register_generator(std::unique_ptr<Generator> generator) {
  for (const Generator* known : all_generators()) {
    if (known->name() == generator->name()) {
      std::fprintf(stderr, "orfeas: two generators named '%s'\n",
                   std::string(generator->name()).c_str());
      std::abort();
    }
  }
  all_generators().push_back(generator.release());  // kept for the life of the process
}

const Generator& find_generator(std::string_view name) {
  std::string known;
  for (const Generator* generator : all_generators()) {
    if (generator->name() == name) return *generator;
    known += (known.empty() ? "" : ", ") + std::string(generator->name());
  }
  if (name == kNeuralMethod) {
    throw Error(ErrorCode::kUnavailable,
                "method 'hunyuan3d' is not in this build: Orfeas was built without LibTorch, "
                "which its neural engine needs",
                {{"method", std::string(name)}});
  }
  throw Error(ErrorCode::kBadInput,
              "unknown method '" + std::string(name) + "' (known: " + known + ")",
              {{"method", std::string(name)}});
}

std::vector<std::string_view> generator_names() {
  std::vector<std::string_view> names;
  for (const Generator* generator : all_generators()) names.push_back(generator->name());
  return names;
}

}  // namespace orfeas
