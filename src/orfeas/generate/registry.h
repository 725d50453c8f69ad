// The generators this build offers, by name.
#pragma once

#include <string_view>
#include <vector>

#include "orfeas/generate/generator.h"

namespace orfeas {

// "inflate" (the default) and "relief". Throws Error{kBadInput} for an unknown name, listing the
// known ones.
const Generator& find_generator(std::string_view name);

std::vector<std::string_view> generator_names();

}  // namespace orfeas
