#include "orfeas/core/field.h"

#include <gtest/gtest.h>

namespace orfeas {
namespace {

TEST(FieldTest, IndexesXFastest) {
  Field f = Field::filled(4, 3, 2, -1.0f);
  EXPECT_EQ(f.size(), 24u);
  EXPECT_EQ(f.index(1, 0, 0), 1u);
  EXPECT_EQ(f.index(0, 1, 0), 4u);
  EXPECT_EQ(f.index(0, 0, 1), 12u);
  f.spacing = 0.5f;
  f.origin = {1, 2, 3};
  EXPECT_EQ(f.position(2, 2, 1), (Vec3{2, 3, 3.5f}));
}

TEST(FieldTest, ClosedOnlyWhenEveryBoundarySampleIsOutside) {
  Field f = Field::filled(5, 5, 5, -1.0f);
  f.at(2, 2, 2) = 1.0f;
  EXPECT_TRUE(f.is_closed());
  f.at(4, 2, 2) = 0.0f;  // on the iso-level counts as touching
  EXPECT_FALSE(f.is_closed());
  EXPECT_FALSE(Field::filled(2, 5, 5, -1.0f).is_closed());
}

}  // namespace
}  // namespace orfeas
