#include "orfeas/core/field.h"

namespace orfeas {

Field Field::filled(int nx, int ny, int nz, float fill) {
  Field f;
  f.nx = nx;
  f.ny = ny;
  f.nz = nz;
  f.values.assign(static_cast<std::size_t>(nx) * ny * nz, fill);
  return f;
}

bool Field::is_closed() const {
  if (nx < 3 || ny < 3 || nz < 3) return false;
  for (int k = 0; k < nz; ++k) {
    for (int j = 0; j < ny; ++j) {
      const bool face_kj = (k == 0 || k == nz - 1 || j == 0 || j == ny - 1);
      for (int i = 0; i < nx; i += (face_kj ? 1 : nx - 1)) {
        if (at(i, j, k) >= iso) return false;
      }
    }
  }
  return true;
}

}  // namespace orfeas
