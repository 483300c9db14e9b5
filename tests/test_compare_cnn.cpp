// compare_optimizers --model cnn: the fashion_cnn network (examples/models/cnn.hpp) that the example, the
// benchmark and the comparison share, the choice of network for a dataset, evaluation in chunks, and the
// best-model file of a cnn run.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "../examples/common.hpp"
#include "../examples/compare/experiment.hpp"
#include "../examples/compare/model.hpp"
#include "../examples/models/cnn.hpp"
#include "tapegrad/grad_mode.hpp"
#include "tapegrad/nn/checkpoint.hpp"
#include "tapegrad/nn/loss.hpp"
#include "tapegrad/tapegrad.hpp"
#include "testing.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_support::message_of;
namespace fs = std::filesystem;

std::vector<tg::Shape> shapes(const tg::nn::Module& model) {
  std::vector<tg::Shape> all;
  for (const tg::Tensor& p : model.parameters()) all.push_back(p.shape());
  return all;
}

// `features` columns of zeros, labels 0..9.
tg::nn::Dataset blank(std::int64_t features) {
  return {tg::zeros({10, features}), tg::arange(10).to(tg::kInt64), 10};
}

TEST(CompareCnn, BuildsFashionCnnsNetworkForEachSide) {
  tg::Generator gen(1);
  const auto fashion = examples::make_cnn(28, 10, gen);
  EXPECT_THAT(shapes(*fashion), ElementsAre(tg::Shape{32, 1, 3, 3}, tg::Shape{32}, tg::Shape{64, 32, 3, 3},
                                            tg::Shape{64}, tg::Shape{3136, 128}, tg::Shape{128},
                                            tg::Shape{128, 10}, tg::Shape{10}));
  // The initial weights fashion_cnn and the benchmark had before make_cnn (GCC built the layers of their
  // Sequential(...) from the last argument to the first): the first and the last value drawn.
  EXPECT_FLOAT_EQ(fashion->parameters().front().to_vector().front(), 0.0834609866f);
  EXPECT_FLOAT_EQ(fashion->parameters().back().to_vector().back(), -0.0257227551f);
  tg::Generator digits_gen(1);
  const auto digits = examples::make_cnn(8, 10, digits_gen);
  EXPECT_EQ(shapes(*digits)[4], (tg::Shape{256, 128}));
  const tg::NoGradGuard no_grad;
  EXPECT_EQ((*digits)(tg::zeros({3, 64})).shape(), (tg::Shape{3, 10}));  // rows in, logits out
  EXPECT_THAT(message_of<std::invalid_argument>([&] { static_cast<void>(examples::make_cnn(6, 10, gen)); }),
              HasSubstr("make_cnn: the image side must be a positive multiple of 4, got 6"));
}

TEST(CompareCnn, TakesSquareImagesWhoseSideIsAMultipleOfFour) {
  const compare::Network network = compare::choose_network("cnn", "", "", blank(64), "digits");
  EXPECT_EQ(network.layers, "8x8-conv32-pool-conv64-pool-128-10");
  EXPECT_EQ(network.description(), "cnn 8x8-conv32-pool-conv64-pool-128-10 relu");
  EXPECT_EQ(compare::choose_network("mlp", "64-10", "tanh", blank(64), "digits").description(), "64-10 tanh");
  for (const std::int64_t features : {60, 36}) {  // not a square; a square of side 6
    const tg::nn::Dataset odd = blank(features);
    const auto choose = [&] { static_cast<void>(compare::choose_network("cnn", "", "", odd, "odd.csv")); };
    EXPECT_THAT(message_of<std::invalid_argument>(choose),
                HasSubstr("--model cnn: --dataset odd.csv has " + std::to_string(features) +
                          " features per sample, not the pixels of a square image whose side is a multiple of 4"));
  }
  EXPECT_THAT(message_of<std::invalid_argument>([] { compare::check_model_options("cnn", "64-128-10", ""); }),
              HasSubstr("--layers '64-128-10' describes an mlp; --model cnn trains fashion_cnn's network, which "
                        "takes neither --layers nor --activation"));
  EXPECT_THAT(message_of<std::invalid_argument>([] { compare::check_model_options("cnn", "", "tanh"); }),
              HasSubstr("--activation 'tanh' describes an mlp"));
  EXPECT_THAT(message_of<std::invalid_argument>([] { compare::check_model_options("rnn", "", ""); }),
              HasSubstr("--model: unknown model 'rnn' (choose mlp or cnn)"));
}

TEST(CompareCnn, EvaluatesInChunksAsInOnePass) {
  tg::Generator gen(3);
  const tg::nn::Dataset data{tg::randn({2 * examples::kEvaluationRows + 17, 64}, gen),
                             tg::randint(0, 10, {2 * examples::kEvaluationRows + 17}, gen), 10};
  const auto model = compare::make_model({64, 32, 10}, "relu", 0);
  const examples::Evaluation chunked = examples::evaluate(*model, data);
  const tg::NoGradGuard no_grad;
  const tg::Tensor logits = (*model)(data.inputs);
  EXPECT_DOUBLE_EQ(chunked.loss, tg::nn::cross_entropy(logits, data.labels).item());
  EXPECT_EQ(chunked.accuracy, examples::accuracy(logits, data.labels));
}

TEST(CompareCnn, SavedBestModelLoadsBackIntoTheCnnAndAnMlpFileDoesNot) {
  const compare::Data data = compare::load_data("digits", 0);
  const compare::Network network = compare::choose_network("cnn", "", "", data.train, "digits");
  const fs::path dir = fs::temp_directory_path() / ("tapegrad_cnn_best_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const auto trained = network.make(0);
  const auto adam = compare::make_optimizer("adam", 1e-3, trained->parameters());
  const compare::History history = compare::train(
      *trained, *adam, data,
      {.epochs = 2, .batch = 64, .seed = 0, .best_model = dir / "cnn.safetensors", .model = {{"model", "cnn"}}}, {});
  EXPECT_GT(compare::best_accuracy(history), 0.3);  // chance is 0.1

  const auto loaded = network.make(5);  // other initial weights, all replaced by the file's
  tg::nn::load(*loaded, dir / "cnn.safetensors");
  const tg::nn::Metadata saved = tg::nn::load_safetensors(dir / "cnn.safetensors").metadata;
  EXPECT_EQ(saved.at("model"), "cnn");
  EXPECT_EQ(saved.at("accuracy"), std::to_string(examples::evaluate(*loaded, data.validation).accuracy));

  const auto mlp = compare::make_model({64, 128, 10}, "relu", 0);
  tg::nn::save(*mlp, dir / "mlp.safetensors");
  EXPECT_THAT(message_of<tg::nn::CheckpointError>([&] { tg::nn::load(*loaded, dir / "mlp.safetensors"); }),
              HasSubstr("tensor '0.weight' is not a parameter or buffer of the model "
                        "Sequential(Unflatten(1, [1, 8, 8]), Conv2d("));
  EXPECT_EQ(saved.at("accuracy"), std::to_string(examples::evaluate(*loaded, data.validation).accuracy));  // unchanged
  fs::remove_all(dir);
}

}  // namespace
