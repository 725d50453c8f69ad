// Generator options as they arrive in a request body: arbitrary bytes parsed as JSON, then
// resolved by every generator. Either Error{kBadInput} or options that resolve to themselves.
#include <cstdint>
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "orfeas/core/error.h"
#include "orfeas/generate/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const nlohmann::json given = nlohmann::json::parse(data, data + size, nullptr, false);
  if (given.is_discarded()) return 0;
  for (std::string_view name : orfeas::generator_names()) {
    const orfeas::Generator& generator = orfeas::find_generator(name);
    try {
      const nlohmann::json resolved = generator.resolve(given);
      if (generator.resolve(resolved) != resolved) std::abort();
    } catch (const orfeas::Error& e) {
      if (e.code() != orfeas::ErrorCode::kBadInput) std::abort();
    }
  }
  return 0;
}
