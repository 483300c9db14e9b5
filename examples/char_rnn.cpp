// char_rnn: character language models on a public-domain English text, the King James Bible (Debian's
// bible-kjv-text, made plain text by the build), a character (byte) at a time:
//   rnn:  Karpathy's min-char-rnn: one-hot -> vanilla RNN (hidden 100) -> Linear -> softmax, the
//         cross-entropy summed over chunks of 25 characters, truncated backpropagation through time with the
//         hidden state carried from chunk to chunk (detached), gradients clipped to [-5, 5] elementwise,
//         Adagrad lr 0.1, float64 as min-char-rnn's NumPy; before training it checks its autograd gradients
//         against min-char-rnn's lossFun written by hand (char_rnn.hpp);
//   lstm: Embedding(V, 64) -> LSTM (hidden 256) -> Linear, 32 streams of the text side by side in chunks of
//         100 characters, the (h, c) state carried across chunks (detached), Adam lr 2e-3, the gradient's
//         norm clipped to 5, float32.
// The last tenth of the text is held out. Prints each epoch's training and validation loss (nats and bits
// per character) and time, then text sampled from the trained model at --temperature.
// Run: build/examples/char_rnn [--model rnn|lstm|both] [--epochs N] [--hidden H] [--seq T] [--batch N]
//      [--temperature X] [--seed S] [--text FILE] [--sample-length N] [--limit N]
//      (both models; 1 epoch; the first 1,000,000 characters of build/data/kjv.txt; --limit 0 for all)

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "char_rnn.hpp"
#include "cli_checks.hpp"
#include "common.hpp"
#include "tapegrad/nn.hpp"
#include "tapegrad/nn/recurrent.hpp"
#include "tapegrad/optim/adagrad.hpp"
#include "tapegrad/optim/adam.hpp"
#include "tapegrad/optim/clip.hpp"
#include "tapegrad/tapegrad.hpp"

namespace {

namespace cr = examples::char_rnn;
using Clock = std::chrono::steady_clock;

constexpr std::int64_t kMaxTextBytes = std::int64_t{64} << 20;  // a bound on the read: /dev/zero is a file too

struct Settings {
  std::string model = "both";
  std::int64_t epochs = 1;
  std::optional<std::int64_t> hidden;  // default: 100 for rnn, 256 for lstm
  std::optional<std::int64_t> seq;     // default: 25 for rnn, 100 for lstm
  std::int64_t batch = 32;             // lstm streams
  double temperature = 1.0;
  std::uint64_t seed = 0;
  std::string text = TAPEGRAD_KJV_TEXT;
  std::int64_t sample_length = 300;
  std::int64_t limit = 1'000'000;
};

// The text: its vocabulary, and its characters' indices, the first nine tenths to train on, the rest held out.
struct Corpus {
  cr::Vocabulary vocab;
  std::vector<std::int64_t> train;
  std::vector<std::int64_t> validation;
};

std::string read_text(const std::string& path, std::int64_t limit) {
  const std::string hint = path == TAPEGRAD_KJV_TEXT
                               ? " (the default text is written by the build from Debian's bible-kjv-text, which "
                                 "scripts/setup.sh installs; or pass --text FILE)"
                               : "";
  std::error_code error;
  if (!std::filesystem::exists(path, error))
    throw std::invalid_argument("--text: no such file: '" + path + "'" + hint);
  if (std::filesystem::is_directory(path, error))
    throw std::invalid_argument("--text: '" + path + "' is a folder, expected a text file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("--text: cannot open '" + path + "'");
  const std::int64_t wanted = limit > 0 ? limit : kMaxTextBytes + 1;
  std::string text(static_cast<std::size_t>(std::min(wanted, std::int64_t{1} << 20)), '\0');
  std::size_t used = 0;
  while (in && static_cast<std::int64_t>(used) < wanted) {  // grows as it reads: a small file stays small
    if (used == text.size()) text.resize(std::min<std::size_t>(text.size() * 2, static_cast<std::size_t>(wanted)));
    in.read(text.data() + used, static_cast<std::streamsize>(text.size() - used));
    used += static_cast<std::size_t>(in.gcount());
  }
  text.resize(used);
  if (in.bad()) throw std::invalid_argument("--text: reading '" + path + "' failed");
  if (limit == 0 && static_cast<std::int64_t>(used) > kMaxTextBytes)
    throw std::invalid_argument("--text: '" + path + "' is larger than 64 MiB; pass --limit N to use its first N "
                                "characters");
  if (text.empty()) throw std::invalid_argument("--text: '" + path + "' is empty");
  return text;
}

// Splits off the last tenth; both parts must hold at least one chunk's worth (min_train characters) or two.
Corpus make_corpus(const std::string& text, const std::string& path, std::int64_t min_train) {
  const auto n = static_cast<std::int64_t>(text.size());
  const std::int64_t held_out = n / 10;
  if (held_out < 2 || n - held_out < min_train)
    throw std::invalid_argument("--text: '" + path + "' gives " + std::to_string(n) +
                                " characters (after --limit), too few: training needs " + std::to_string(min_train) +
                                " of them once a tenth is held out for validation; use a longer text, a larger --limit "
                                "or a smaller --seq (or --batch)");
  cr::Vocabulary vocab(text);
  std::vector<std::int64_t> ids = vocab.encode(text);
  std::vector<std::int64_t> validation(ids.end() - held_out, ids.end());
  ids.resize(static_cast<std::size_t>(n - held_out));
  return {std::move(vocab), std::move(ids), std::move(validation)};
}

// A chunk of ids as an int64 tensor of the given shape.
tg::Tensor ids_tensor(const std::vector<std::int64_t>& ids, std::int64_t start, std::int64_t count) {
  return tg::tensor(std::span<const std::int64_t>(ids).subspan(static_cast<std::size_t>(start),
                                                                static_cast<std::size_t>(count)),
                    {count});
}

void print_epoch(const char* model, std::int64_t epoch, double train, double validation, double seconds,
                 std::int64_t chars) {
  std::printf("%-4s  epoch %2lld  loss %.4f nats/char  %.4f bits/char  validation %.4f nats/char  %.4f bits/char  "
              "%.1f s  %.0f chars/s\n",
              model, static_cast<long long>(epoch), train, train / std::log(2.0), validation,
              validation / std::log(2.0), seconds, static_cast<double>(chars) / seconds);
  std::fflush(stdout);
}

void print_untrained(const char* model, double validation) {
  std::printf("%-4s  untrained  validation %.4f nats/char  %.4f bits/char\n", model, validation,
              validation / std::log(2.0));
}

// The validation loss fell from the untrained model's: the line the example's test looks for.
void print_summary(const char* model, double before, double after, std::int64_t epochs) {
  std::printf("%s: validation loss %s from %.4f to %.4f nats/char (%.3f to %.3f bits/char) in %lld epoch%s\n", model,
              after < before ? "fell" : "did not fall", before, after, before / std::log(2.0), after / std::log(2.0),
              static_cast<long long>(epochs), epochs == 1 ? "" : "s");
}

// What both models do around their epochs: the untrained model's validation loss, then each epoch's
// training (train_epoch(epoch) returns its loss per character) and validation loss, then the summary.
void train_and_report(const char* model, std::int64_t epochs, std::int64_t chars,
                      const std::function<double(std::int64_t)>& train_epoch, const std::function<double()>& evaluate) {
  const double untrained = evaluate();
  print_untrained(model, untrained);
  double validation = untrained;
  for (std::int64_t epoch = 1; epoch <= epochs; ++epoch) {
    const Clock::time_point start = Clock::now();
    const double train = train_epoch(epoch);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    validation = evaluate();
    print_epoch(model, epoch, train, validation, seconds, chars);
  }
  print_summary(model, untrained, validation, epochs);
}

// Draws n characters one at a time from softmax(logits / temperature), each fed back in: step(id) advances the
// model's state by one character and returns the next one's logits ([V], or [1, V]).
std::string sample(const std::function<tg::Tensor(std::int64_t)>& step, const cr::Vocabulary& vocab,
                   std::int64_t first, std::int64_t n, double temperature, tg::Generator& gen) {
  const tg::NoGradGuard no_grad;
  std::string out(1, vocab.at(first));
  std::int64_t id = first;
  for (std::int64_t i = 0; i < n; ++i) {
    const tg::Tensor probs = tg::softmax(tg::reshape(step(id), {vocab.size()}) / temperature);
    id = tg::multinomial(probs, 1, false, gen).item<std::int64_t>();
    out += vocab.at(id);
  }
  return out;
}

void print_sample(const char* model, double temperature, const std::string& text) {
  std::printf("%s sample (temperature %g):\n%s\n", model, temperature, text.c_str());
  std::fflush(stdout);
}

// ---- rnn: min-char-rnn

// The hand-written lossFun against autograd on the first chunk, from the initial weights.
void check_against_hand(cr::CharRnn& model, const Corpus& c, std::int64_t seq) {
  const std::span<const std::int64_t> all(c.train);
  const auto n = static_cast<std::size_t>(seq);
  model.zero_grad();
  const cr::Chunk chunk = model.loss(ids_tensor(c.train, 0, seq), ids_tensor(c.train, 1, seq), model.zero_state());
  chunk.loss.backward();
  const cr::RnnWeights w = cr::weights_of(model);
  cr::RnnActivations acts;
  cr::RnnWeights grads;
  const double hand = cr::rnn_forward(w, all.subspan(0, n), all.subspan(1, n),
                                      std::vector<double>(static_cast<std::size_t>(w.hidden), 0.0), acts);
  cr::rnn_backward(w, all.subspan(0, n), all.subspan(1, n), acts, grads);
  const cr::RnnWeights autograd = cr::gradients_of(model);
  double worst = 0;
  for (std::size_t a = 0; a < grads.arrays().size(); ++a)
    for (std::size_t i = 0; i < grads.arrays()[a]->size(); ++i)
      worst = std::max(worst, std::abs((*grads.arrays()[a])[i] - (*autograd.arrays()[a])[i]));
  std::printf("rnn   first chunk by hand-written BPTT and by autograd: loss %.12f and %.12f, largest gradient "
              "difference %.2g\n",
              hand, chunk.loss.item(), worst);
  model.zero_grad();
}

// Mean loss per character over ids, in chunks of seq from a zero state carried through, without recording.
double rnn_evaluate(cr::CharRnn& model, const std::vector<std::int64_t>& ids, std::int64_t seq) {
  const tg::NoGradGuard no_grad;
  tg::Tensor h = model.zero_state();
  double total = 0;
  const auto n = static_cast<std::int64_t>(ids.size()) - 1;  // the last character is a target only
  for (std::int64_t p = 0; p < n; p += seq) {
    const std::int64_t len = std::min(seq, n - p);
    const cr::Chunk chunk = model.loss(ids_tensor(ids, p, len), ids_tensor(ids, p + 1, len), h);
    total += chunk.loss.item();
    h = chunk.h;
  }
  return total / static_cast<double>(n);
}

// One pass over the training text as min-char-rnn makes it: chunks of seq from p = 0, the state carried
// across them and reset at the start; the rest shorter than a chunk is left out. Returns the loss per character.
double rnn_epoch(cr::CharRnn& model, tg::optim::Adagrad& optimizer, const Corpus& c, std::int64_t seq,
                 std::int64_t epoch, std::int64_t epochs) {
  const bool terminal = isatty(STDERR_FILENO) != 0;
  const std::int64_t steps = (static_cast<std::int64_t>(c.train.size()) - 1) / seq;
  tg::Tensor h = model.zero_state();  // hprev = np.zeros((hidden_size, 1))
  double total = 0;
  for (std::int64_t step = 0; step < steps; ++step) {
    const std::int64_t p = step * seq;
    const cr::Chunk chunk = model.loss(ids_tensor(c.train, p, seq), ids_tensor(c.train, p + 1, seq), h);  // forward
    optimizer.zero_grad();
    chunk.loss.backward();                                    // backpropagation through the chunk's 25 steps
    tg::optim::clip_grad_value_(model.parameters(), 5.0);    // np.clip(dparam, -5, 5, out=dparam)
    optimizer.step();                                        // Adagrad
    h = chunk.h.detach();                                    // the state goes on; its history stops here
    total += chunk.loss.item();
    if (terminal && ((step + 1) % 100 == 0 || step + 1 == steps))
      examples::draw_progress(epoch, epochs, step + 1, steps, total / static_cast<double>((step + 1) * seq));
  }
  if (terminal) std::fprintf(stderr, "\r%80s\r", "");
  return total / static_cast<double>(steps * seq);
}

void run_rnn(const Settings& s, const std::string& text) {
  const std::int64_t hidden = s.hidden.value_or(100);
  const std::int64_t seq = s.seq.value_or(25);
  const Corpus c = make_corpus(text, s.text, seq + 1);
  std::printf("rnn   min-char-rnn: %lld characters (%lld to train, %lld held out), vocabulary %lld, hidden %lld, "
              "chunks of %lld, Adagrad lr 0.1, float64\n",
              static_cast<long long>(c.train.size() + c.validation.size()), static_cast<long long>(c.train.size()),
              static_cast<long long>(c.validation.size()), static_cast<long long>(c.vocab.size()),
              static_cast<long long>(hidden), static_cast<long long>(seq));
  tg::Generator gen(s.seed);
  cr::CharRnn model(c.vocab.size(), hidden, gen);
  check_against_hand(model, c, seq);
  tg::optim::Adagrad optimizer(model.parameters(), cr::min_char_rnn_adagrad());
  train_and_report(
      "rnn", s.epochs, std::ssize(c.train),
      [&](std::int64_t epoch) { return rnn_epoch(model, optimizer, c, seq, epoch, s.epochs); },
      [&] { return rnn_evaluate(model, c.validation, seq); });
  tg::Tensor h = model.zero_state();
  const auto step = [&](std::int64_t id) {
    auto [logits, h_next] = model.forward(tg::tensor(std::vector<std::int64_t>{id}, {1}), h);
    h = h_next;
    return logits;
  };
  print_sample("rnn", s.temperature, sample(step, c.vocab, c.train[0], s.sample_length, s.temperature, gen));
}

// ---- lstm

using LstmState = std::tuple<tg::Tensor, tg::Tensor>;  // (h, c), each [1, N, H]

// Embedding(V, 64) -> LSTM(64, H, batch_first) -> Linear(H, V): ids [N, T] -> logits [N T, V].
class CharLstm : public tg::nn::Module {
 public:
  CharLstm(std::int64_t vocab, std::int64_t hidden, tg::Generator& gen)
      : embedding(register_module("embedding", std::make_shared<tg::nn::Embedding>(vocab, 64, gen))),
        lstm(register_module("lstm", std::make_shared<tg::nn::LSTM>(64, hidden, gen,
                                                                    tg::nn::RecurrentOptions{.batch_first = true}))),
        head(register_module("head", std::make_shared<tg::nn::Linear>(hidden, vocab, gen))) {}

  [[nodiscard]] std::pair<tg::Tensor, LstmState> forward(const tg::Tensor& ids, const std::optional<LstmState>& state) {
    auto [ys, next] = lstm->forward(embedding->forward(ids), state);  // ys [N, T, H]
    return {head->forward(tg::reshape(ys, {ys.size(0) * ys.size(1), ys.size(2)})), next};
  }
  [[nodiscard]] std::string name() const override { return "CharLstm"; }

  std::shared_ptr<tg::nn::Embedding> embedding;
  std::shared_ptr<tg::nn::LSTM> lstm;
  std::shared_ptr<tg::nn::Linear> head;
};

// ids cut into n streams side by side: inputs [n, L] and the characters that follow them, targets [n, L].
struct Streams {
  tg::Tensor inputs;
  tg::Tensor targets;
};

Streams make_streams(const std::vector<std::int64_t>& ids, std::int64_t n) {
  const std::int64_t length = (static_cast<std::int64_t>(ids.size()) - 1) / n;
  std::vector<std::int64_t> inputs(static_cast<std::size_t>(n * length));
  std::vector<std::int64_t> targets(inputs.size());
  for (std::int64_t b = 0; b < n; ++b)
    for (std::int64_t t = 0; t < length; ++t) {
      inputs[static_cast<std::size_t>(b * length + t)] = ids[static_cast<std::size_t>(b * length + t)];
      targets[static_cast<std::size_t>(b * length + t)] = ids[static_cast<std::size_t>(b * length + t + 1)];
    }
  return {tg::tensor(inputs, {n, length}), tg::tensor(targets, {n, length})};
}

LstmState detached(const LstmState& state) { return {std::get<0>(state).detach(), std::get<1>(state).detach()}; }

// Mean loss per character over the streams, in chunks of seq with the state carried through, unrecorded.
double lstm_evaluate(CharLstm& model, const Streams& streams, std::int64_t seq) {
  const tg::NoGradGuard no_grad;
  std::optional<LstmState> state;
  double total = 0;
  const std::int64_t length = streams.inputs.size(1);
  for (std::int64_t p = 0; p < length; p += seq) {
    const std::int64_t end = std::min(p + seq, length);
    auto [logits, next] = model.forward(tg::slice(streams.inputs, 1, p, end), state);
    const tg::Tensor targets = tg::reshape(tg::slice(streams.targets, 1, p, end), {logits.size(0)});
    total += tg::nn::cross_entropy(logits, targets, tg::nn::Reduction::Sum).item();
    state = next;
  }
  return total / static_cast<double>(streams.inputs.numel());
}

// One pass over the streams in chunks of seq (the last one shorter), truncated BPTT: the state is carried
// from chunk to chunk, detached. Returns the mean loss per character.
double lstm_epoch(CharLstm& model, tg::optim::Adam& optimizer, const Streams& streams, std::int64_t seq,
                  std::int64_t epoch, std::int64_t epochs) {
  const bool terminal = isatty(STDERR_FILENO) != 0;
  const std::int64_t length = streams.inputs.size(1);
  const std::int64_t steps = (length + seq - 1) / seq;
  std::optional<LstmState> state;  // zeros at the start of the text
  double total = 0;
  for (std::int64_t step = 0; step < steps; ++step) {
    const std::int64_t p = step * seq;
    const std::int64_t end = std::min(p + seq, length);
    auto [logits, next] = model.forward(tg::slice(streams.inputs, 1, p, end), state);  // forward
    const tg::Tensor targets = tg::reshape(tg::slice(streams.targets, 1, p, end), {logits.size(0)});
    const tg::Tensor loss = tg::nn::cross_entropy(logits, targets);  // mean over the chunk's characters
    optimizer.zero_grad();
    loss.backward();
    tg::optim::clip_grad_norm_(model.parameters(), 5.0);  // keeps the direction when BPTT blows the gradient up
    optimizer.step();
    state = detached(next);
    total += loss.item() * static_cast<double>(logits.size(0));
    if (terminal && ((step + 1) % 10 == 0 || step + 1 == steps))
      examples::draw_progress(epoch, epochs, step + 1, steps,
                              total / static_cast<double>(end * streams.inputs.size(0)));
  }
  if (terminal) std::fprintf(stderr, "\r%80s\r", "");
  return total / static_cast<double>(streams.inputs.numel());
}

void run_lstm(const Settings& s, const std::string& text) {
  const std::int64_t hidden = s.hidden.value_or(256);
  const std::int64_t seq = s.seq.value_or(100);
  const Corpus c = make_corpus(text, s.text, s.batch + 1);  // one character per stream at least
  const Streams train = make_streams(c.train, s.batch);
  const Streams validation = make_streams(c.validation, std::min<std::int64_t>(s.batch, std::ssize(c.validation) - 1));
  std::printf("lstm  %lld characters (%lld to train, %lld held out), vocabulary %lld, embedding 64, hidden %lld, "
              "%lld streams of %lld in chunks of %lld, Adam lr 2e-3, float32\n",
              static_cast<long long>(c.train.size() + c.validation.size()), static_cast<long long>(c.train.size()),
              static_cast<long long>(c.validation.size()), static_cast<long long>(c.vocab.size()),
              static_cast<long long>(hidden), static_cast<long long>(s.batch),
              static_cast<long long>(train.inputs.size(1)), static_cast<long long>(seq));
  tg::Generator gen(s.seed);
  CharLstm model(c.vocab.size(), hidden, gen);
  tg::optim::Adam optimizer(model.parameters(), tg::optim::AdamOptions{.lr = 2e-3});
  train_and_report(
      "lstm", s.epochs, train.inputs.numel(),
      [&](std::int64_t epoch) { return lstm_epoch(model, optimizer, train, seq, epoch, s.epochs); },
      [&] { return lstm_evaluate(model, validation, seq); });
  std::optional<LstmState> state;
  const auto step = [&](std::int64_t id) {
    auto [logits, next] = model.forward(tg::tensor(std::vector<std::int64_t>{id}, {1, 1}), state);
    state = next;
    return logits;
  };
  print_sample("lstm", s.temperature, sample(step, c.vocab, c.train[0], s.sample_length, s.temperature, gen));
}

}  // namespace

int main(int argc, char** argv) try {
  Settings s;
  CLI::App app{"Character language models: min-char-rnn (a vanilla RNN, checked against its hand-written "
               "backpropagation through time) and an LSTM, trained on a text and sampled."};
  app.add_option("--model", s.model, "rnn, lstm or both")->check(CLI::IsMember({"rnn", "lstm", "both"}))
      ->capture_default_str();
  app.add_option("--epochs", s.epochs, "passes over the text")->check(examples::whole_number<std::int64_t>(1))
      ->capture_default_str();
  app.add_option("--hidden", s.hidden, "hidden units (default 100 for rnn, 256 for lstm)")
      ->check(examples::whole_number<std::int64_t>(1, 4096));
  app.add_option("--seq", s.seq, "characters per chunk of truncated BPTT (default 25 for rnn, 100 for lstm)")
      ->check(examples::whole_number<std::int64_t>(1, 100'000));
  app.add_option("--batch", s.batch, "lstm: streams of the text trained side by side")
      ->check(examples::whole_number<std::int64_t>(1, 4096))->capture_default_str();
  app.add_option("--temperature", s.temperature, "of the sampling: logits are divided by it")
      ->check(examples::kPositive)->capture_default_str();
  app.add_option("--seed", s.seed, "initial weights and sampling")->check(examples::whole_number<std::uint64_t>(0))
      ->capture_default_str();
  app.add_option("--text", s.text, "a text file (bytes are the characters)")->capture_default_str();
  app.add_option("--sample-length", s.sample_length, "characters sampled after training")
      ->check(examples::whole_number<std::int64_t>(0, 1'000'000))->capture_default_str();
  app.add_option("--limit", s.limit, "characters of the text to use (0: all)")
      ->check(examples::whole_number<std::int64_t>(0))->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const std::string text = read_text(s.text, s.limit);
  if (s.model != "lstm") run_rnn(s, text);
  if (s.model != "rnn") run_lstm(s, text);
  return 0;
} catch (const std::exception& e) {
  return examples::report_error("char_rnn", e);
}
