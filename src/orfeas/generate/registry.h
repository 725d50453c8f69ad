// The generators this build offers, by name.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "orfeas/generate/generator.h"

namespace orfeas {

// "inflate" (the default), "relief", and the registered ones. Throws Error{kBadInput} for an
// unknown name, listing the known ones, and Error{kUnavailable} for "hunyuan3d" in a build
// without it (built without LibTorch).
const Generator& find_generator(std::string_view name);

// Adds a generator built outside this folder (the neural engine's "hunyuan3d" registers itself
// this way, so that generate/ does not depend on it). Call during static initialisation, before
// any lookup. Aborts on a name already taken: two generators of one name are a build error.
void register_generator(std::unique_ptr<Generator> generator);

std::vector<std::string_view> generator_names();

}  // namespace orfeas
