#include "orfeas/core/progress.h"

#include "orfeas/core/error.h"

namespace orfeas {

void CancelToken::throw_if_cancelled() const {
  if (cancelled()) throw Error(ErrorCode::kCancelled, "cancelled");
}

}  // namespace orfeas
