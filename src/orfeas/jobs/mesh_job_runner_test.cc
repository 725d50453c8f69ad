#include "orfeas/jobs/mesh_job_runner.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>

#include <gtest/gtest.h>

#include "orfeas/export/decode_ply.h"
#include "orfeas/jobs/test_directory.h"
#include "orfeas/mesh/topology.h"

namespace orfeas {
namespace {

namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

class MeshJobRunnerTest : public testing::Test {
 protected:
  MeshJobRunnerTest() {
    fs::path images = fs::path(ORFEAS_TEST_DATA) / "images";
    fs::create_directories(directory_.path() / "inputs");
    fs::copy_file(images / "rgba_object.png", directory_.path() / "inputs/object.png");
    fs::copy_file(images / "bad_corrupt.png", directory_.path() / "inputs/corrupt.png");
  }

  static Job job(std::string id, std::string input, std::string method = "inflate") {
    Job job;
    job.id = std::move(id);
    job.status = JobStatus::kRunning;
    job.method = std::move(method);
    job.options = {{"resolution", 32}};
    job.input_path = "inputs/" + std::move(input);
    return job;
  }

  std::vector<JobOutcome> run(const std::vector<Job>& batch,
                              const std::function<void(std::size_t, std::string_view)>& seen = {}) {
    std::vector<CancelToken> tokens(batch.size());
    for (std::size_t i : cancel_before_) tokens[i].cancel();
    std::vector<const CancelToken*> views;
    for (const CancelToken& token : tokens) views.push_back(&token);
    BatchProgressFn progress = [&](std::size_t index, std::string_view stage, double fraction) {
      EXPECT_GE(fraction, 0);
      EXPECT_LE(fraction, 1);
      std::lock_guard lock(mutex_);
      stages_[index].insert(std::string(stage));
      if (cancel_in_field_ && stage == "field") tokens[index].cancel();
      if (seen) seen(index, stage);
    };
    return MeshJobRunner(directory_.path()).run(batch, progress, views);
  }

  static ErrorCode code_of(const JobOutcome& outcome) {
    const Error* error = std::get_if<Error>(&outcome);
    if (error == nullptr) {
      ADD_FAILURE() << "the job succeeded";
      return ErrorCode::kInternal;
    }
    return error->code();
  }

  TestDirectory directory_;
  std::set<std::size_t> cancel_before_;
  bool cancel_in_field_ = false;
  std::mutex mutex_;
  std::map<std::size_t, std::set<std::string>> stages_;
};

TEST_F(MeshJobRunnerTest, DiscardRemovesTheResultFile) {
  fs::create_directories(directory_.path() / "results");
  std::ofstream(directory_.path() / "results/x.ply") << "ply";
  MeshJobRunner runner(directory_.path());
  runner.discard({"results/x.ply", nullptr});
  EXPECT_FALSE(fs::exists(directory_.path() / "results/x.ply"));
  runner.discard({"results/x.ply", nullptr});  // already gone: nothing to do
}

TEST_F(MeshJobRunnerTest, TurnsAPhotoIntoAClosedPlyAndFailsBadJobsAlone) {
  std::vector<Job> batch = {job("good", "object.png"), job("corrupt", "corrupt.png"),
                            job("missing", "missing.png"), job("unknown", "object.png", "nope"),
                            job("relief", "object.png", "relief")};
  std::vector<JobOutcome> outcomes = run(batch);
  ASSERT_EQ(outcomes.size(), batch.size());

  const JobResult* result = std::get_if<JobResult>(&outcomes[0]);
  ASSERT_NE(result, nullptr) << std::get<Error>(outcomes[0]).what();
  EXPECT_EQ(result->result_path, "results/good.ply");
  EXPECT_EQ(result->report["closed"], true);
  Mesh mesh = decode_ply(read_text(directory_.path() / result->result_path));
  EXPECT_TRUE(analyze_topology(mesh).closed);
  EXPECT_EQ(stages_[0], (std::set<std::string>{"prepare", "field", "mesh"}));

  EXPECT_EQ(code_of(outcomes[1]), ErrorCode::kBadInput);
  EXPECT_EQ(code_of(outcomes[2]), ErrorCode::kInternal);
  EXPECT_EQ(code_of(outcomes[3]), ErrorCode::kBadInput);
  EXPECT_NE(std::get_if<JobResult>(&outcomes[4]), nullptr);
  EXPECT_FALSE(fs::exists(directory_.path() / "results/corrupt.ply"));
}

TEST_F(MeshJobRunnerTest, BadOptionsFailOnlyTheirJob) {
  std::vector<Job> batch = {job("bad", "object.png"), job("good", "object.png")};
  batch[0].options = {{"resolution", 1}};
  std::vector<JobOutcome> outcomes = run(batch);
  EXPECT_EQ(code_of(outcomes[0]), ErrorCode::kBadInput);
  EXPECT_NE(std::get_if<JobResult>(&outcomes[1]), nullptr);
}

TEST_F(MeshJobRunnerTest, FailuresOfTheDataDirectoryAreInternal) {
  fs::create_directories(directory_.path() / "inputs/folder.png");
  std::ofstream(directory_.path() / "results") << "a file where the results folder should be";
  std::vector<JobOutcome> outcomes =
      run({job("unreadable", "folder.png"), job("unwritable", "object.png")});
  EXPECT_EQ(code_of(outcomes[0]), ErrorCode::kInternal);
  EXPECT_EQ(code_of(outcomes[1]), ErrorCode::kInternal);
}

TEST_F(MeshJobRunnerTest, ACancelledJobStopsAndTheOthersCarryOn) {
  cancel_before_ = {0};
  std::vector<Job> batch = {job("cancelled", "object.png"), job("good", "object.png")};
  std::vector<JobOutcome> outcomes = run(batch);
  EXPECT_EQ(code_of(outcomes[0]), ErrorCode::kCancelled);
  EXPECT_NE(std::get_if<JobResult>(&outcomes[1]), nullptr);
  EXPECT_FALSE(fs::exists(directory_.path() / "results/cancelled.ply"));
}

TEST_F(MeshJobRunnerTest, TheGeneratorStopsWhenEveryJobItServesIsCancelled) {
  cancel_in_field_ = true;
  std::vector<Job> batch = {job("a", "object.png"), job("b", "object.png")};
  std::vector<JobOutcome> outcomes = run(batch);
  EXPECT_EQ(code_of(outcomes[0]), ErrorCode::kCancelled);
  EXPECT_EQ(code_of(outcomes[1]), ErrorCode::kCancelled);
  EXPECT_FALSE(fs::exists(directory_.path() / "results/a.ply"));
}

}  // namespace
}  // namespace orfeas
