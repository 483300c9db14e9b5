// DistributedDataParallel: buckets of gradients, each all-reduced (MPI_Iallreduce) from the backward
// sweep's post-accumulate hooks as soon as its gradients are final, waited for in synchronize().

#include "tapegrad/distributed/data_parallel.hpp"

#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>

#include "mpi_util.hpp"
#include "tapegrad/detail/impl.hpp"
#include "tapegrad/distributed/collectives.hpp"
#include "tapegrad/distributed/environment.hpp"

namespace tg::distributed {

namespace {

struct Slot {  // where one parameter's gradient sits in its bucket
  std::size_t bucket = 0;
  std::int64_t offset = 0;  // in elements
  bool ready = false;       // its gradient reached the bucket in this step
};

struct Bucket {
  std::vector<std::size_t> params;
  Tensor flat;  // [sum of the parameters' numel], their dtype
  std::size_t pending = 0;  // parameters not ready yet in this step
  MPI_Request request = MPI_REQUEST_NULL;
};

std::size_t element_size(Dtype dtype) { return dtype == kFloat64 ? sizeof(double) : sizeof(float); }
char* bytes_of(const Tensor& t) { return static_cast<char*>(t.impl()->storage->data); }

}  // namespace

struct DistributedDataParallel::State {
  std::vector<std::pair<std::string, Tensor>> params;
  std::vector<Slot> slots;
  std::vector<Bucket> buckets;
  std::vector<HookHandle> hooks;
  std::size_t next_launch = 0;  // buckets start in index order, so every rank issues the same sequence
  int world = 1;

  void assign_buckets(std::int64_t cap_bytes);
  void on_ready(std::size_t index);
  void launch_ready();
  void wait_launched();
  void reset();
  void copy_out(std::size_t index) const;
  [[noreturn]] void fail_unready();
};

// Reverse registration order, a new bucket when the dtype changes or the cap would be passed.
void DistributedDataParallel::State::assign_buckets(std::int64_t cap_bytes) {
  slots.resize(params.size());
  std::int64_t bytes = 0;
  for (std::size_t i = params.size(); i-- > 0;) {
    const Tensor& p = params[i].second;
    const std::int64_t size = p.numel() * static_cast<std::int64_t>(element_size(p.dtype()));
    const bool fits = !buckets.empty() && buckets.back().flat.dtype() == p.dtype() && bytes + size <= cap_bytes;
    if (!fits) {
      buckets.push_back({.params = {}, .flat = zeros({0}, p.dtype())});
      bytes = 0;
    }
    Bucket& b = buckets.back();
    slots[i] = {.bucket = buckets.size() - 1, .offset = bytes / static_cast<std::int64_t>(element_size(p.dtype()))};
    b.params.push_back(i);
    bytes += size;
  }
  for (Bucket& b : buckets) {
    std::int64_t numel = 0;
    for (const std::size_t i : b.params) numel += params[i].second.numel();
    if (numel > std::numeric_limits<int>::max())  // MPI counts are int
      throw std::invalid_argument("DistributedDataParallel: a bucket of " + std::to_string(numel) +
                                  " elements exceeds MPI's int count; lower bucket_cap_bytes");
    b.flat = zeros({numel}, b.flat.dtype());
    b.pending = b.params.size();
  }
}

// A parameter's .grad is final for this sweep: into its bucket, and the bucket out if it is complete.
void DistributedDataParallel::State::on_ready(std::size_t index) {
  Slot& slot = slots[index];
  const auto& [name, p] = params[index];
  if (slot.ready)
    throw std::logic_error("DistributedDataParallel: parameter '" + name + "' got a second gradient before "
                           "synchronize(); run one backward() per synchronize() (no gradient accumulation over "
                           "several backward sweeps)");
  Bucket& bucket = buckets[slot.bucket];
  if (p.dtype() != bucket.flat.dtype())
    throw std::logic_error("DistributedDataParallel: parameter '" + name + "' is " +
                           std::string(dtype_name(p.dtype())) + " but was " +
                           std::string(dtype_name(bucket.flat.dtype())) + " when its bucket was made; convert the "
                           "model (Module::to) before building DistributedDataParallel");
  const std::size_t width = element_size(p.dtype());
  std::memcpy(bytes_of(bucket.flat) + static_cast<std::size_t>(slot.offset) * width, bytes_of(p.grad()),
              static_cast<std::size_t>(p.numel()) * width);
  slot.ready = true;
  if (--bucket.pending == 0) launch_ready();
}

void DistributedDataParallel::State::launch_ready() {
  while (next_launch < buckets.size() && buckets[next_launch].pending == 0) {
    Bucket& b = buckets[next_launch++];
    detail::check(MPI_Iallreduce(MPI_IN_PLACE, bytes_of(b.flat), static_cast<int>(b.flat.numel()),
                                 detail::mpi_type(b.flat.dtype()), MPI_SUM, MPI_COMM_WORLD, &b.request),
                  "MPI_Iallreduce");
  }
}

void DistributedDataParallel::State::wait_launched() {
  for (std::size_t k = 0; k < next_launch; ++k)
    if (buckets[k].request != MPI_REQUEST_NULL)
      detail::check(MPI_Wait(&buckets[k].request, MPI_STATUS_IGNORE), "MPI_Wait");
}

void DistributedDataParallel::State::reset() {
  for (Slot& s : slots) s.ready = false;
  for (Bucket& b : buckets) b.pending = b.params.size();
  next_launch = 0;
}

// The bucket's sum over ranks, divided by the world size (as x / world, not x * (1 / world), which
// rounds differently unless world is a power of two), into the parameter's own .grad.
void DistributedDataParallel::State::copy_out(std::size_t index) const {
  const Tensor& p = params[index].second;
  const Tensor grad = p.grad();
  const Bucket& b = buckets[slots[index].bucket];
  const std::int64_t n = p.numel();
  const std::int64_t at = slots[index].offset;
  if (p.dtype() == kFloat64) {
    const double* src = b.flat.data<double>() + at;
    double* dst = grad.data<double>();
    for (std::int64_t j = 0; j < n; ++j) dst[j] = src[j] / static_cast<double>(world);
  } else {
    const float* src = b.flat.data<float>() + at;
    float* dst = grad.data<float>();
    for (std::int64_t j = 0; j < n; ++j) dst[j] = src[j] / static_cast<float>(world);
  }
  tg::detail::bump_version(grad.impl());
}

// Waits for the buckets already started (every rank that got this far started them too), then names the
// first parameter that got no gradient.
void DistributedDataParallel::State::fail_unready() {
  wait_launched();
  std::size_t missing = 0;
  std::string first;
  for (std::size_t i = 0; i < params.size(); ++i)
    if (!slots[i].ready && missing++ == 0) first = params[i].first;
  reset();
  throw std::logic_error("DistributedDataParallel::synchronize: parameter '" + first + "' (and " +
                         std::to_string(missing - 1) + " more) got no gradient since the last synchronize(); every "
                         "parameter must take part in the loss of every step (PyTorch's find_unused_parameters="
                         "False), and backward() must run before synchronize()");
}

DistributedDataParallel::DistributedDataParallel(nn::Module& module, const DistributedDataParallelOptions& options)
    : module_(module) {
  if (options.bucket_cap_bytes < 1)
    throw std::invalid_argument("DistributedDataParallel: bucket_cap_bytes must be >= 1, got " +
                                std::to_string(options.bucket_cap_bytes));
  broadcast(module_, 0);
  if (world_size() == 1) return;
  state_ = std::make_unique<State>();
  state_->world = world_size();
  state_->params = module_.named_parameters();
  state_->assign_buckets(options.bucket_cap_bytes);
  for (std::size_t i = 0; i < state_->params.size(); ++i)
    state_->hooks.push_back(state_->params[i].second.register_post_accumulate_grad_hook(
        [state = state_.get(), i](const Tensor&) { state->on_ready(i); }));
}

DistributedDataParallel::~DistributedDataParallel() {
  if (!state_) return;
  for (HookHandle& h : state_->hooks) h.remove();
  // While an exception unwinds, the other ranks may never complete a started all-reduce: keep its buffer
  // alive (leak it) for the MPI_Abort the Environment is about to call, rather than wait for ever.
  if (std::uncaught_exceptions() > 0) {
    static_cast<void>(state_.release());
    return;
  }
  try {
    state_->wait_launched();
  } catch (const DistributedError&) {  // a destructor must not throw; MPI has failed already anyway
  }
}

void DistributedDataParallel::synchronize() {
  if (!state_) return;
  State& s = *state_;
  if (s.next_launch < s.buckets.size()) s.fail_unready();
  s.wait_launched();
  for (std::size_t i = 0; i < s.params.size(); ++i) s.copy_out(i);
  s.reset();
}

std::size_t DistributedDataParallel::buckets_started() const { return state_ ? state_->next_launch : 0; }

std::vector<std::vector<std::size_t>> DistributedDataParallel::buckets() const {
  std::vector<std::vector<std::size_t>> out;
  if (!state_) return out;
  for (const Bucket& b : state_->buckets) out.push_back(b.params);
  return out;
}

}  // namespace tg::distributed
