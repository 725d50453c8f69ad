#include "orfeas/mesh/printable.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

#include "orfeas/core/error.h"
#include "orfeas/mesh/test_shapes.h"
#include "orfeas/mesh/topology.h"

namespace orfeas {
namespace {

bool has_warning(const PrintReport& report, const std::string& part) {
  return std::any_of(report.warnings.begin(), report.warnings.end(),
                     [&](const std::string& w) { return w.find(part) != std::string::npos; });
}

TEST(PrintableTest, BallBecomesAClosedPrintOfTheRequestedSize) {
  const Field ball = testing::ball_field(48, {23.5f, 23.5f, 23.5f}, 18);
  PrintableOptions options;
  options.size_mm = 50;
  options.target_faces = 3000;
  std::vector<double> fractions;
  const PrintableMesh result = make_printable(ball, options, [&](std::string_view stage, double f) {
    EXPECT_EQ(stage, "mesh");
    fractions.push_back(f);
  });
  const PrintReport& r = result.report;
  EXPECT_TRUE(r.closed);
  EXPECT_TRUE(r.manifold);
  EXPECT_EQ(r.components, 1);
  EXPECT_LE(r.triangles, 3000u);
  EXPECT_EQ(r.triangles, result.mesh.triangles.size());
  EXPECT_EQ(r.vertices, result.mesh.vertices.size());
  EXPECT_NEAR(std::max({r.bbox_mm.x, r.bbox_mm.y, r.bbox_mm.z}), 50, 1e-3);
  EXPECT_NEAR(r.volume_mm3, 4.0 / 3 * std::numbers::pi * 25 * 25 * 25, 0.02 * 65450);
  EXPECT_NEAR(r.area_mm2, 4 * std::numbers::pi * 25 * 25, 0.02 * 7854);
  EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
  EXPECT_FLOAT_EQ(bounds_of(result.mesh).min.z, 0);
  ASSERT_FALSE(fractions.empty());
  EXPECT_EQ(fractions.front(), 0);
  EXPECT_EQ(fractions.back(), 1);
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
}

TEST(PrintableTest, ReportJsonHasExactlyTheDocumentedKeys) {
  PrintReport report;
  report.closed = true;
  report.triangles = 12;
  report.bbox_mm = {1, 2, 3};
  report.warnings = {"w"};
  const nlohmann::json json = report.to_json();
  std::vector<std::string> keys;
  for (const auto& [key, value] : json.items()) keys.push_back(key);
  std::sort(keys.begin(), keys.end());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"area_mm2", "bbox_mm", "closed", "components", "manifold",
                                      "triangles", "vertices", "volume_mm3", "warnings"}));
  EXPECT_EQ(json["bbox_mm"], nlohmann::json::array({1.0, 2.0, 3.0}));
  EXPECT_EQ(json["closed"], true);
  EXPECT_EQ(json["triangles"], 12);
  EXPECT_EQ(json["warnings"], nlohmann::json::array({"w"}));
}

TEST(PrintableTest, WarnsAboutAThinPlate) {
  // 40 cells wide, 2 thick: at 100 mm across, 5 mm thick... at 10 mm across, 0.5 mm.
  const Field plate = testing::sampled_field(48, [](Vec3 p) {
    const float across = 1 - std::abs(p.z - 23.5f);
    const float within = 20 - std::max(std::abs(p.x - 23.5f), std::abs(p.y - 23.5f));
    return std::min(across, within);
  });
  PrintableOptions options;
  options.size_mm = 10;
  const PrintableMesh thin = make_printable(plate, options);
  EXPECT_TRUE(has_warning(thin.report, "walls as thin as 0.5 mm (under 1 mm) may not print"))
      << thin.report.to_json().dump();
  options.size_mm = 100;
  EXPECT_FALSE(has_warning(make_printable(plate, options).report, "walls as thin"));
}

TEST(PrintableTest, RemovesFloatersAndSaysSo) {
  Field field = testing::ball_field(40, {19.5f, 19.5f, 19.5f}, 12);
  field.at(36, 36, 36) = 1;  // a speck far from the ball
  const PrintableMesh result = make_printable(field, {});
  EXPECT_EQ(result.report.components, 1);
  EXPECT_TRUE(has_warning(result.report, "1 floaters removed"));
}

TEST(PrintableTest, ClosesAnObjectCutByTheFieldBoundary) {
  const Field field = testing::ball_field(30, {14.5f, 14.5f, 3}, 10);
  ASSERT_FALSE(field.is_closed());
  const PrintableMesh result = make_printable(field, {});
  EXPECT_TRUE(result.report.closed);
  EXPECT_TRUE(result.report.manifold);
  EXPECT_TRUE(has_warning(result.report, "edge of its volume"));
}

TEST(PrintableTest, NoSurfaceIsAnInternalError) {
  Field mismatched = Field::filled(8, 8, 8, 1);
  mismatched.values.resize(10);
  for (const Field& field : {Field::filled(8, 8, 8, -1), Field{}, mismatched}) {
    try {
      make_printable(field, {});
      FAIL();
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kInternal);
    }
  }
}

}  // namespace
}  // namespace orfeas
