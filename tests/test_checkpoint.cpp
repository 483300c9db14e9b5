// tg::nn checkpoints: safetensors files written and read back (layout, metadata, dtypes), models saved and
// loaded bit for bit, training resumed from a checkpoint bit for bit (SGD with momentum, Adam), PyTorch's
// layout read from the fixture of scripts/make_pytorch_fixture.py, and one clear error per bad file with
// the model left as it was.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include "tapegrad/nn/checkpoint.hpp"
#include "tapegrad/nn/layers.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/nn/safetensors.hpp"
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/optim/sgd.hpp"
#include "tapegrad/random.hpp"
#include "tapegrad/tensor.hpp"

namespace {

namespace fs = std::filesystem;
using namespace tg::nn;  // NOLINT: the tests read like user code
using testing::HasSubstr;
using tg::Tensor;

const fs::path kPytorchFixture = fs::path(TAPEGRAD_SOURCE_DIR) / "tests" / "data" / "pytorch_mlp.safetensors";

/// Sequential(Linear(4, 8), Tanh, Linear(8, 3)) initialised from `seed`: parameters "0.weight" [4, 8],
/// "0.bias" [8], "2.weight" [8, 3], "2.bias" [3].
std::unique_ptr<Sequential> make_mlp(std::uint64_t seed) {
  tg::Generator gen(seed);
  auto model = std::make_unique<Sequential>();
  model->emplace<Linear>(4, 8, gen);
  model->emplace<Tanh>();
  model->emplace<Linear>(8, 3, gen);
  return model;
}

/// Every element of every parameter, in order.
std::vector<std::vector<double>> values_of(const Module& model) {
  std::vector<std::vector<double>> out;
  for (const Tensor& p : model.parameters()) out.push_back(p.to_vector());
  return out;
}

std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& file, const std::string& bytes) {
  std::ofstream(file, std::ios::binary) << bytes;
}

std::uint64_t header_length(const std::string& bytes) {
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<unsigned char>(bytes[static_cast<std::size_t>(i)]);
  return n;
}

/// A file of the given header (padded to 8 bytes) and data, as the reference writer lays it out.
std::string safetensors_bytes(std::string header, const std::string& data) {
  header.append((8 - header.size() % 8) % 8, ' ');
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xFF));
  return out + header + data;
}

/// A fresh folder per test, removed afterwards.
class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(test.begin(), test.end(), '/', '_');
    dir_ = fs::temp_directory_path() / ("tapegrad_test_checkpoint_" + std::to_string(::getpid()) + "_" + test);
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

// ---- safetensors ----

TEST_F(CheckpointTest, SafetensorsRoundTripKeepsOrderShapesDtypesValuesAndMetadata) {
  const NamedTensors tensors = {{"w", tg::tensor({1.5, -2.25, 3.0, 0.1, 0.2, 0.3}, {2, 3})},
                                {"b", tg::tensor({0.1, 1e-300, -7.0}, tg::kFloat64)},
                                {"step", tg::scalar_tensor(12.0, tg::kFloat64)},
                                {"empty", tg::zeros({0, 3})}};
  const Metadata metadata = {{"epoch", "3"}, {"note", "héllo \"quoted\""}};
  save_safetensors(dir_ / "t.safetensors", tensors, metadata);

  const SafetensorsFile loaded = load_safetensors(dir_ / "t.safetensors");
  EXPECT_EQ(loaded.metadata, metadata);
  ASSERT_EQ(loaded.tensors.size(), tensors.size());
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    EXPECT_EQ(loaded.tensors[i].first, tensors[i].first);
    EXPECT_EQ(loaded.tensors[i].second.shape(), tensors[i].second.shape());
    EXPECT_EQ(loaded.tensors[i].second.dtype(), tensors[i].second.dtype());
    EXPECT_EQ(loaded.tensors[i].second.to_vector(), tensors[i].second.to_vector());
  }
}

TEST_F(CheckpointTest, SafetensorsHeaderFollowsTheReferenceLayout) {
  save_safetensors(dir_ / "t.safetensors", {{"x", tg::tensor({1.0, 2.0}, tg::kFloat64)}, {"y", tg::tensor({3.0})}});
  const std::string bytes = read_file(dir_ / "t.safetensors");
  const std::uint64_t n = header_length(bytes);
  EXPECT_EQ(n % 8, 0U);  // the data starts 8-byte aligned
  ASSERT_EQ(bytes.size(), 8 + n + 2 * sizeof(double) + sizeof(float));
  const std::string header = bytes.substr(8, n);
  EXPECT_EQ(header.substr(0, header.find_last_not_of(' ') + 1),
            R"({"x":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},)"
            R"("y":{"dtype":"F32","shape":[1],"data_offsets":[16,20]}})");
  double x1 = 0;
  std::copy_n(bytes.data() + 8 + n + sizeof(double), sizeof(double), reinterpret_cast<char*>(&x1));
  EXPECT_EQ(x1, 2.0);
}

TEST_F(CheckpointTest, SafetensorsSaveReplacesTheFileAndLeavesNoTemporary) {
  save_safetensors(dir_ / "t.safetensors", {{"x", tg::tensor({1.0})}});
  save_safetensors(dir_ / "t.safetensors", {{"x", tg::tensor({2.0})}});
  EXPECT_EQ(load_safetensors(dir_ / "t.safetensors").tensors.at(0).second.item(), 2.0);
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);

  const fs::path nowhere = dir_ / "no_such_folder" / "t.safetensors";
  EXPECT_THAT([&] { save_safetensors(nowhere, {{"x", tg::tensor({1.0})}}); },
              testing::ThrowsMessage<CheckpointError>(
                  HasSubstr("save_safetensors: " + nowhere.string() + ": the folder " +
                            nowhere.parent_path().string() + " does not exist")));
}

TEST_F(CheckpointTest, SafetensorsRejectsNamesItCannotWrite) {
  const fs::path file = dir_ / "t.safetensors";
  const Tensor x = tg::tensor({1.0});
  EXPECT_THAT([&] { save_safetensors(file, {{"x", x}, {"x", x}}); },
              testing::ThrowsMessage<CheckpointError>(HasSubstr("the tensor name 'x' appears twice")));
  EXPECT_THAT([&] { save_safetensors(file, {{"__metadata__", x}}); },
              testing::ThrowsMessage<CheckpointError>(HasSubstr("may not be named '__metadata__'")));
  EXPECT_THAT([&] { save_safetensors(file, {{"u", Tensor()}}); },
              testing::ThrowsMessage<CheckpointError>(HasSubstr("tensor 'u' is undefined")));
  EXPECT_THAT([&] { save_safetensors(file, {{"x", x}}, {{"note", "\xff"}}); },
              testing::ThrowsMessage<CheckpointError>(HasSubstr("is not valid UTF-8")));
  EXPECT_FALSE(fs::exists(file));
}

// ---- models ----

TEST_F(CheckpointTest, ModelRoundTripGivesIdenticalOutputs) {
  const auto saved = make_mlp(1);
  const auto fresh = make_mlp(2);
  const Tensor x = tg::randn({5, 4}, tg::default_generator());
  ASSERT_NE(values_of(*fresh), values_of(*saved));
  const Tensor first_weight = fresh->parameters().front();  // an optimizer would hold this handle

  save(*saved, dir_ / "mlp.safetensors");
  load(*fresh, dir_ / "mlp.safetensors");
  EXPECT_EQ(values_of(*fresh), values_of(*saved));
  EXPECT_EQ((*fresh)(x).to_vector(), (*saved)(x).to_vector());
  EXPECT_EQ(first_weight.to_vector(), saved->parameters().front().to_vector());
  EXPECT_TRUE(first_weight.requires_grad());
}

// ---- training checkpoints ----

using MakeOptimizer = std::function<std::unique_ptr<tg::optim::Optimizer>(const Module&)>;

constexpr double kLaterLr = 0.03;  // set before the checkpoint: the resumed run must pick it up

/// Full-batch regression steps on fixed data; the learning rate becomes kLaterLr after `lr_change_at`.
void train(Layer& model, tg::optim::Optimizer& optimizer, int first_step, int last_step, int lr_change_at) {
  tg::Generator gen(7);
  const Tensor x = tg::randn({16, 4}, gen);
  const Tensor y = tg::randn({16, 3}, gen);
  for (int step = first_step; step < last_step; ++step) {
    if (step == lr_change_at) optimizer.set_lr(kLaterLr);
    const Tensor loss = mse_loss(model(x), y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  }
}

/// Training 3 + 4 steps straight through and stopping after 3, saving, loading into a fresh model and
/// optimizer and going on for 4 end with the same bits.
void expect_resume_is_exact(const fs::path& file, const MakeOptimizer& make_optimizer) {
  constexpr int kStop = 3, kEnd = 7, kLrChange = 2;
  const auto straight = make_mlp(1);
  train(*straight, *make_optimizer(*straight), 0, kEnd, kLrChange);

  const auto first = make_mlp(1);
  const auto first_optimizer = make_optimizer(*first);
  train(*first, *first_optimizer, 0, kStop, kLrChange);
  save_checkpoint(file, *first, *first_optimizer, kStop, {{"run", "resume-test"}});

  const auto resumed = make_mlp(99);
  const auto resumed_optimizer = make_optimizer(*resumed);
  EXPECT_EQ(load_checkpoint(file, *resumed, *resumed_optimizer), kStop);
  EXPECT_EQ(resumed_optimizer->lr(), kLaterLr);
  train(*resumed, *resumed_optimizer, kStop, kEnd, kLrChange);
  const auto expected = values_of(*straight), actual = values_of(*resumed);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t p = 0; p < expected.size(); ++p)
    for (std::size_t i = 0; i < expected[p].size(); ++i) EXPECT_EQ(actual[p][i], expected[p][i]) << p << "," << i;

  // The optimizer state matters: the same parameters with a fresh optimizer end elsewhere.
  const auto forgetful = make_mlp(99);
  const auto unused = make_optimizer(*forgetful);
  (void)load_checkpoint(file, *forgetful, *unused);
  const auto fresh_optimizer = make_optimizer(*forgetful);
  fresh_optimizer->set_lr(kLaterLr);
  train(*forgetful, *fresh_optimizer, kStop, kEnd, kLrChange);
  EXPECT_NE(values_of(*forgetful), expected);
}

TEST_F(CheckpointTest, ResumedSgdWithMomentumMatchesTrainingStraightThrough) {
  expect_resume_is_exact(dir_ / "sgd.safetensors", [](const Module& model) {
    return std::make_unique<tg::optim::SGD>(model.parameters(), tg::optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
  });
}

TEST_F(CheckpointTest, ResumedAdamMatchesTrainingStraightThrough) {
  expect_resume_is_exact(dir_ / "adam.safetensors", [](const Module& model) {
    return std::make_unique<tg::optim::Adam>(model.parameters(), tg::optim::AdamOptions{.lr = 0.01});
  });
}

TEST_F(CheckpointTest, CheckpointNamesItsTensorsAndKeepsTheCallersMetadata) {
  const auto model = make_mlp(1);
  tg::optim::Adam adam(model->parameters());
  train(*model, adam, 0, 1, -1);
  save_checkpoint(dir_ / "c.safetensors", *model, adam, 5, {{"dataset", "digits"}});
  const SafetensorsFile file = load_safetensors(dir_ / "c.safetensors");
  std::vector<std::string> names;
  for (const auto& entry : file.tensors) names.push_back(entry.first);
  for (const char* name : {"model.0.weight", "model.2.bias", "optim.0.step", "optim.3.exp_avg_sq"})
    EXPECT_THAT(names, testing::Contains(name));
  EXPECT_EQ(file.metadata.at("epoch"), "5");
  EXPECT_EQ(file.metadata.at("optimizer"), "Adam");
  EXPECT_EQ(file.metadata.at("dataset"), "digits");
  EXPECT_THAT([&] { save_checkpoint(dir_ / "c.safetensors", *model, adam, 1, {{"epoch", "2"}}); },
              testing::ThrowsMessage<CheckpointError>(HasSubstr("the metadata key 'epoch' is reserved")));
}

/// A checkpoint that does not fit: the error names the file and the model and optimizer keep their state.
void expect_checkpoint_rejected(const fs::path& file, Module& model, tg::optim::Optimizer& optimizer,
                                const std::string& message) {
  const auto before = values_of(model);
  const tg::optim::StateDict state = optimizer.state_dict();
  EXPECT_THAT([&] { (void)load_checkpoint(file, model, optimizer); },
              testing::ThrowsMessage<CheckpointError>(
                  testing::AllOf(HasSubstr("load_checkpoint: " + file.string()), HasSubstr(message))));
  EXPECT_EQ(values_of(model), before);
  ASSERT_EQ(optimizer.state_dict().size(), state.size());
  for (std::size_t i = 0; i < state.size(); ++i)
    EXPECT_EQ(optimizer.state_dict()[i].second.to_vector(), state[i].second.to_vector());
}

TEST_F(CheckpointTest, CheckpointForAnotherOptimizerOrWithBadStateChangesNothing) {
  const auto saved = make_mlp(1);
  tg::optim::Adam adam(saved->parameters());
  train(*saved, adam, 0, 2, -1);
  save_checkpoint(dir_ / "adam.safetensors", *saved, adam, 2);

  const auto model = make_mlp(2);
  tg::optim::SGD sgd(model->parameters(), {.lr = 0.1, .momentum = 0.9});
  train(*model, sgd, 0, 1, -1);
  expect_checkpoint_rejected(dir_ / "adam.safetensors", *model, sgd,
                             "the checkpoint holds the state of Adam, not of SGD");

  SafetensorsFile contents = load_safetensors(dir_ / "adam.safetensors");
  for (auto& [name, value] : contents.tensors)
    if (name == "optim.1.exp_avg") value = tg::zeros({3});
  save_safetensors(dir_ / "bad_state.safetensors", contents.tensors, contents.metadata);
  tg::optim::Adam other(model->parameters());
  train(*model, other, 0, 1, -1);
  expect_checkpoint_rejected(dir_ / "bad_state.safetensors", *model, other, "'1.exp_avg' is [3] float32");
}

// ---- bad files: each a CheckpointError naming the file (and tensor), the model unchanged ----

// The good file, saved from make_mlp(1), has the header (then padding)
// {"0.weight":{"dtype":"F32","shape":[4,8],"data_offsets":[0,128]},"0.bias":{"dtype":"F32","shape":[8],
//  "data_offsets":[128,160]},"2.weight":{...,"data_offsets":[160,256]},"2.bias":{...,"data_offsets":[256,268]}}
using Corrupt = std::function<void(const fs::path& good, const fs::path& bad)>;

struct BadFile {
  std::string name;
  Corrupt corrupt;
  std::vector<std::string> messages;  // each must appear in the error
};

void PrintTo(const BadFile& bad, std::ostream* os) { *os << bad.name; }

Corrupt edit_bytes(std::function<void(std::string&)> edit) {
  return [edit](const fs::path& good, const fs::path& bad) {
    std::string bytes = read_file(good);
    edit(bytes);
    write_file(bad, bytes);
  };
}

/// Replaces `from` by `to` in the header (and fixes up the header length).
Corrupt edit_header(const std::string& from, const std::string& to) {
  return [from, to](const fs::path& good, const fs::path& bad) {
    const std::string bytes = read_file(good);
    const std::uint64_t n = header_length(bytes);
    std::string header = bytes.substr(8, n);
    const std::size_t at = header.find(from);
    ASSERT_NE(at, std::string::npos) << from << " is not in " << header;
    header.replace(at, from.size(), to);
    write_file(bad, safetensors_bytes(header.substr(0, header.find_last_not_of(' ') + 1), bytes.substr(8 + n)));
  };
}

Corrupt edit_tensors(std::function<void(NamedTensors&)> edit) {
  return [edit](const fs::path& good, const fs::path& bad) {
    NamedTensors tensors = load_safetensors(good).tensors;
    edit(tensors);
    save_safetensors(bad, tensors);
  };
}

const BadFile kBadFiles[] = {
    {"MissingFile", [](const fs::path&, const fs::path&) {}, {"no such file"}},
    {"EmptyFile", edit_bytes([](std::string& b) { b.clear(); }),
     {"the file is 0 bytes, too short for the 8-byte header length"}},
    {"TruncatedToFiveBytes", edit_bytes([](std::string& b) { b.resize(5); }), {"the file is 5 bytes, too short"}},
    {"DataShorterThanOffsets", edit_bytes([](std::string& b) { b.resize(b.size() - 4); }),
     {"tensor '2.bias' has data_offsets [256,268] outside the 264 bytes of data (truncated file?)"}},
    {"HeaderLengthLargerThanFile", edit_bytes([](std::string& b) { b[3] = 1; }),
     {"the header length 16777", "is larger than the"}},
    {"MalformedJson", edit_header(R"("shape":[4,8])", R"("shape":[4,8)"), {"malformed JSON header", "parse error"}},
    {"HeaderNotAnObject", edit_bytes([](std::string& b) { b = safetensors_bytes("[1, 2]", ""); }),
     {"the JSON header must be an object, got array"}},
    {"NameTwice", edit_header(R"("0.bias")", R"("0.weight")"), {"the header names tensor '0.weight' twice"}},
    {"KeyTwiceInAnEntry", edit_header(R"("0.bias":{"dtype":"F32")", R"("0.bias":{"dtype":"F32","dtype":"F64")"),
     {"tensor '0.bias' has the key 'dtype' twice"}},
    {"OffsetsTwiceInAnEntry", edit_header(R"("data_offsets":[256,268])", R"("data_offsets":[256,268],"data_offsets":[0,12])"),
     {"tensor '2.bias' has the key 'data_offsets' twice"}},
    {"MetadataKeyTwice", edit_header("{", R"({"__metadata__":{"epoch":"3","epoch":"4"},)"),
     {"__metadata__ has the key 'epoch' twice"}},
    {"EmptyTensorName", edit_header(R"("2.bias")", R"("")"),
     {"the header names a tensor '', expected a name that is not empty"}},
    {"OffsetsOutsideData",
     edit_header(R"("shape":[3],"data_offsets":[256,268])", R"("shape":[1003],"data_offsets":[256,4268])"),
     {"tensor '2.bias' has data_offsets [256,4268] outside the 268 bytes of data"}},
    {"OverlappingOffsets", edit_header("[128,160]", "[120,152]"),
     {"tensor '0.bias' [120, 152) overlaps tensor '0.weight'"}},
    {"GapBetweenTensors", edit_header("[160,256]", "[164,260]"),
     {"tensor '2.weight' [164, 260) leaves a gap of 4 bytes"}},
    {"BytesAfterTheLastTensor", edit_bytes([](std::string& b) { b += "junk"; }),
     {"4 bytes of data follow the last tensor"}},
    {"NegativeOffset", edit_header("[128,160]", "[-4,160]"),
     {"tensor '0.bias' has data_offsets [-4,160], expected [begin, end]"}},
    {"OffsetsNotMatchingShape", edit_header(R"("shape":[8])", R"("shape":[7])"),
     {"tensor '0.bias' has data_offsets [128,160] (32 bytes) but shape [7] of F32 needs 28 bytes"}},
    {"HugeShape", edit_header(R"("shape":[8])", R"("shape":[4294967296,4294967296])"),
     {"tensor '0.bias' has shape [4294967296,4294967296]"}},
    {"UnsupportedDtype", edit_header(R"("F32")", R"("F16")"),
     {R"(tensor '0.weight' has the unsupported dtype "F16" (tapegrad reads F32, F64, I64 and BOOL))"}},
    {"UnknownDtype", edit_header(R"("0.bias":{"dtype":"F32")", R"("0.bias":{"dtype":"Q7")"),
     {R"(tensor '0.bias' has the unsupported dtype "Q7")"}},
    {"EntryWithoutShape", edit_header(R"("shape":[8],)", ""),
     {"tensor '0.bias' is {", "expected an object with dtype, shape and data_offsets"}},
    {"MetadataNotStrings", edit_header("{", R"({"__metadata__":{"epoch":3},)"),
     {"__metadata__ entry 'epoch' is not a string: 3"}},
    {"ShapeNotTheModels", edit_header(R"("shape":[4,8])", R"("shape":[2,16])"),
     {"tensor '0.weight' is [2, 16] float32 but the model's parameter is [4, 8] float32"}},
    {"DtypeNotTheModels", edit_tensors([](NamedTensors& t) { t[1].second = t[1].second.to(tg::kFloat64); }),
     {"tensor '0.bias' is [8] float64 but the model's parameter is [8] float32"}},
    {"MissingTensor", edit_tensors([](NamedTensors& t) { t.pop_back(); }),
     {"tensor '2.bias' is missing: the model's parameter '2.bias' is [3] float32"}},
    {"ExtraTensor", edit_tensors([](NamedTensors& t) { t.emplace_back("3.weight", tg::zeros({3, 3})); }),
     {"tensor '3.weight' is not a parameter or buffer of the model"}},
};

class BadFiles : public CheckpointTest, public testing::WithParamInterface<BadFile> {};

TEST_P(BadFiles, LoadFailsWithAClearMessageAndChangesNothing) {
  const fs::path good = dir_ / "good.safetensors", bad = dir_ / "bad.safetensors";
  save(*make_mlp(1), good);
  GetParam().corrupt(good, bad);
  const auto model = make_mlp(2);
  const auto before = values_of(*model);
  try {
    load(*model, bad);
    ADD_FAILURE() << "loading " << GetParam().name << " did not throw";
  } catch (const CheckpointError& e) {
    EXPECT_THAT(e.what(), HasSubstr(": " + bad.string() + ": "));
    for (const std::string& message : GetParam().messages) EXPECT_THAT(e.what(), HasSubstr(message));
  }
  EXPECT_EQ(values_of(*model), before);
}

INSTANTIATE_TEST_SUITE_P(Checkpoint, BadFiles, testing::ValuesIn(kBadFiles),
                         [](const testing::TestParamInfo<BadFile>& info) { return info.param.name; });

// ---- PyTorch interoperability ----

TEST(PytorchFixture, LoadsPytorchLinearLayoutAndReproducesItsOutputs) {
  const SafetensorsFile fixture = load_safetensors(kPytorchFixture);
  Tensor inputs, outputs, pytorch_weight;
  for (const auto& [name, value] : fixture.tensors) {
    if (name == "test.inputs") inputs = value;
    if (name == "test.outputs") outputs = value;
    if (name == "0.weight") pytorch_weight = value;
  }
  ASSERT_TRUE(inputs.defined() && outputs.defined() && pytorch_weight.defined());
  ASSERT_EQ(pytorch_weight.shape(), tg::Shape({8, 4}));  // PyTorch's [out, in]

  const auto model = make_mlp(5);
  load(*model, kPytorchFixture, {.transpose_linear_weights = true, .ignore_extra_tensors = true});
  const Tensor weight = model->parameters().front();
  EXPECT_EQ(weight.at({1, 6}), pytorch_weight.at({6, 1}));  // tapegrad's [in, out]
  const Tensor y = (*model)(inputs);
  ASSERT_EQ(y.shape(), outputs.shape());
  const auto actual = y.to_vector(), expected = outputs.to_vector();
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(actual[i], expected[i], 1e-6) << i;
}

TEST(PytorchFixture, WithoutTheTransposeTheErrorSaysHowToLoadIt) {
  const auto model = make_mlp(5);
  EXPECT_THAT([&] { load(*model, kPytorchFixture, {.ignore_extra_tensors = true}); },
              testing::ThrowsMessage<CheckpointError>(testing::AllOf(
                  HasSubstr("tensor '0.weight' is [8, 4] float32 but the model's parameter is [4, 8] float32"),
                  HasSubstr("transpose_linear_weights = true"))));
  EXPECT_THAT([&] { load(*model, kPytorchFixture, {.transpose_linear_weights = true}); },
              testing::ThrowsMessage<CheckpointError>(HasSubstr("tensor 'test.inputs' is not a parameter")));
}


// ---- large headers ----

// A header of 200,000 entries (14 MB; the format allows 100 MB) took more than a minute to read (over
// 200 s here), and saving it was quadratic too: ordered JSON objects find a key by a linear search, and
// nlohmann_json's callback parser scanned the whole object at the end of every entry. Saving and loading
// them now takes about 5 s on a shared 2-core machine (200,000 map insertions and allocations); the
// bound only guards against the quadratic minutes, 12x above that so a sanitizer build stays below it.
TEST_F(CheckpointTest, SafetensorsWith200000TensorsSavesAndLoadsInLinearTime) {
  constexpr int kTensors = 200000;
  NamedTensors tensors;
  tensors.reserve(kTensors);
  for (int i = 0; i < kTensors; ++i)  // names out of alphabetical order: the file's order must survive
    tensors.emplace_back("layer" + std::to_string((i * 7919) % kTensors) + ".weight",
                         tg::tensor({static_cast<double>(i)}, tg::kFloat64));
  const auto start = std::chrono::steady_clock::now();
  save_safetensors(dir_ / "big.safetensors", tensors);
  const SafetensorsFile loaded = load_safetensors(dir_ / "big.safetensors");
  const auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 60.0) << "quadratic again?";
  ASSERT_EQ(loaded.tensors.size(), tensors.size());
  for (int i = 0; i < kTensors; ++i) {
    ASSERT_EQ(loaded.tensors[i].first, tensors[i].first);
    ASSERT_EQ(loaded.tensors[i].second.item(), static_cast<double>(i));
  }
}

}  // namespace
