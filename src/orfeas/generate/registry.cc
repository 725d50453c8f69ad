#include "orfeas/generate/registry.h"

#include <string>

#include "orfeas/core/error.h"
#include "orfeas/generate/inflate.h"
#include "orfeas/generate/relief.h"

namespace orfeas {
namespace {

const std::vector<const Generator*>& all_generators() {
  static const InflateGenerator inflate;
  static const ReliefGenerator relief;
  static const std::vector<const Generator*> generators = {&inflate, &relief};
  return generators;
}

}  // namespace

const Generator& find_generator(std::string_view name) {
  std::string known;
  for (const Generator* generator : all_generators()) {
    if (generator->name() == name) return *generator;
    known += (known.empty() ? "" : ", ") + std::string(generator->name());
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
