// Approximate k-nearest search: reco's HNSW index against hnswlib and faiss (IndexHNSWFlat,
// and IndexHNSWSQ as the 8-bit baseline) on the same clustered vectors, with the same M and
// construction ef, all single-threaded. Prints, side by side: build time, memory per vector,
// and recall@k against queries per second over a sweep of search ef; appends to a CSV that
// plot_hnsw.py turns into recall/QPS curves.
//
// Why it is shaped so:
// - One program, one process, one data set per run: every library sees the very same base
//   vectors and queries, and the exact answers come from one exact index (faiss IndexFlat
//   when available, else reco's FlatIndex), so recall numbers are comparable.
// - Memory is measured twice. The heap growth around each library's work (glibc
//   mallinfo2: in-use arena bytes plus mmapped blocks) sees every allocation, whatever the
//   library's own bookkeeping forgets; each library's own accounting is printed next to it,
//   so a gap between the two is visible rather than hidden.
// - The machine may be shared. Builds are interleaved in chunks (chunk c of every library,
//   then chunk c+1) and query passes in rounds (round r: every ef, every library), so drift
//   spreads over all libraries; each point keeps its best round, as ann-benchmarks does.
//   Times are taken both as wall time and as this thread's CPU time; the summary uses CPU
//   time by default (--clock), which leaves out the time the scheduler gave to others.
// - Queries go one at a time, as a server answers them. faiss allocates a visited table of
//   ntotal bytes per search call, which a one-query call pays every time; the extra row
//   "faiss-hnsw-batch" (the same index, all queries in one call, one thread) shows faiss
//   without that cost.
// - QPS at a target recall is interpolated between the two sweep points around it (log QPS
//   linear in recall); a curve whose first point already beats the target reports that
//   point, marked '>=', since a smaller ef would be faster still (and ef < k is no search).
#include <hnswlib/hnswlib.h>
#include <malloc.h>
#ifdef RECO_BENCH_FAISS
#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/impl/ScalarQuantizer.h>
#include <omp.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench_common.hpp"
#include "clustered_data.hpp"
#include "reco/flat_index.hpp"
#include "reco/kernels.hpp"
#include "reco/metric.hpp"

#ifdef RECO_BENCH_FAISS
#define RECO_BENCH_HAS_FAISS true
#else
#define RECO_BENCH_HAS_FAISS false
#endif

#if __has_include("reco/hnsw_index.hpp")
#include "reco/hnsw_index.hpp"
#define RECO_BENCH_HAVE_HNSW 1
#endif

namespace {

using namespace reco_bench;

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// Wall and this thread's CPU time of one span. On a shared machine the CPU time leaves out
// the time the scheduler gave to others, so it is the steadier of the two; on an idle
// machine they agree for single-threaded work.
struct Span {
  Clock::time_point wall0 = Clock::now();
  double cpu0 = thread_cpu_seconds();
  double wall() const { return seconds_since(wall0); }
  double cpu() const { return thread_cpu_seconds() - cpu0; }
};

bool g_cpu_clock = true;  // --clock cpu|wall: which time the summary uses

// ---- options --------------------------------------------------------------------------------

struct Options {
  std::size_t n = 100000;
  std::size_t dim = 64;
  std::size_t queries = 1000;
  std::size_t clusters = 1000;
  std::size_t k = 10;
  std::size_t m = 16;
  std::size_t efc = 200;
  std::vector<std::size_t> efs{10, 12, 14, 16, 20, 24, 32, 48, 64, 96, 128, 256};
  std::size_t rounds = 3;
  std::size_t build_chunk = 10000;  // vectors per library per turn of the interleaved build
  std::string metric = "l2";
  std::string csv;
  std::string dataset;  // label in the CSV and the plot; default "<n>x<dim> <metric>"
  std::set<std::string> libs;  // empty = every library built in
  unsigned seed = 42;
  std::string kernel;                // --kernel: reco's distance kernels (default: load-time choice)
  std::vector<std::string> kernels;  // --kernels: query each reco index under each of these
};

const char* kUsage =
    "usage: hnsw_bench [--n N] [--dim D] [--queries Q] [--clusters C] [--k K]\n"
    "                  [--m M] [--efc EFC] [--ef e1,e2,...] [--rounds R] [--build-chunk N]\n"
    "                  [--metric l2|ip|cosine] [--seed S] [--csv FILE] [--dataset LABEL]\n"
    "                  [--libs name,name,...] [--clock cpu|wall]\n"
    "                  [--kernel NAME] [--kernels name,name,...]\n"
    "libraries: hnswlib, faiss-hnsw, faiss-hnsw-batch, faiss-hnsw-sq8, reco-hnsw,\n"
    "           reco-hnsw-int8, reco-hnsw-int8-float (those built in)\n"
    "--kernel: reco's distance kernels for builds and queries (reco/kernels.hpp; default the\n"
    "          load-time choice). --kernels: each reco index (built once: every kernel builds\n"
    "          the same graph) is queried under each, as columns 'reco-hnsw@NAME' in the same\n"
    "          interleaved rounds. This CPU has: ";

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string part; std::getline(ss, part, ',');)
    if (!part.empty()) out.push_back(part);
  return out;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(kUsage, stdout);
      for (std::string_view k : reco::available_kernels()) std::printf("%.*s ", int(k.size()), k.data());
      std::printf("(active: %s)\n", std::string(reco::active_kernel_name()).c_str());
      std::exit(0);
    }
    if (i + 1 >= argc) throw std::runtime_error(flag + " needs a value");
    std::string v = argv[++i];
    if (flag == "--n") o.n = parse_size(flag, v);
    else if (flag == "--dim") o.dim = parse_size(flag, v);
    else if (flag == "--queries") o.queries = parse_size(flag, v);
    else if (flag == "--clusters") o.clusters = parse_size(flag, v);
    else if (flag == "--k") o.k = parse_size(flag, v);
    else if (flag == "--m") o.m = parse_size(flag, v);
    else if (flag == "--efc") o.efc = parse_size(flag, v);
    else if (flag == "--rounds") o.rounds = parse_size(flag, v);
    else if (flag == "--build-chunk") o.build_chunk = parse_size(flag, v);
    else if (flag == "--seed") o.seed = static_cast<unsigned>(parse_size(flag, v));
    else if (flag == "--metric") o.metric = v;
    else if (flag == "--clock") {
      if (v != "cpu" && v != "wall") throw std::runtime_error("--clock must be cpu or wall");
      g_cpu_clock = v == "cpu";
    }
    else if (flag == "--csv") o.csv = v;
    else if (flag == "--dataset") o.dataset = v;
    else if (flag == "--libs") {
      for (auto& s : split(v)) o.libs.insert(s);
    } else if (flag == "--kernel") {
      o.kernel = v;
    } else if (flag == "--kernels") {
      o.kernels = split(v);
    } else if (flag == "--ef") {
      o.efs.clear();
      for (auto& s : split(v)) o.efs.push_back(parse_size(flag, s));
    } else {
      throw std::runtime_error("unknown option " + flag + "\n" + kUsage);
    }
  }
  if (o.n == 0 || o.dim == 0 || o.queries == 0 || o.k == 0 || o.rounds == 0 || o.clusters == 0)
    throw std::runtime_error("--n, --dim, --queries, --k, --rounds, --clusters must be > 0");
  if (o.k > o.n) throw std::runtime_error("--k must not exceed --n");
  if (o.n > UINT32_MAX) throw std::runtime_error("--n must fit 32-bit ids");
  if (o.m < 2) throw std::runtime_error("--m must be at least 2");
  if (o.efs.empty()) throw std::runtime_error("--ef needs at least one value");
  std::sort(o.efs.begin(), o.efs.end());
  if (o.metric != "l2" && o.metric != "ip" && o.metric != "cosine")
    throw std::runtime_error("--metric must be l2, ip or cosine");
  if (o.dataset.empty())
    o.dataset = std::to_string(o.n) + "x" + std::to_string(o.dim) + " " + o.metric;
  std::vector<std::string> asked = o.kernels;
  if (!o.kernel.empty()) asked.push_back(o.kernel);
  for (const auto& k : asked) {
    if (!reco::set_kernel(k)) throw std::runtime_error("kernel '" + k + "' is unknown or not supported here");
  }
  reco::set_kernel(o.kernel.empty() ? "auto" : o.kernel);
  return o;
}

// ---- data -----------------------------------------------------------------------------------

// ---- memory ---------------------------------------------------------------------------------

// Bytes the process holds from malloc right now: arena chunks in use plus mmapped blocks
// (large allocations bypass the arenas and would otherwise be missed).
std::size_t heap_in_use() {
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// ---- contenders -----------------------------------------------------------------------------

// One library's index behind one shape, so the timing loop is the same for all.
class Contender {
 public:
  virtual ~Contender() = default;
  virtual std::string name() const = 0;
  // Whatever must see the whole base set before inserts (a quantizer's training).
  virtual void prepare(const float* base, std::size_t n) {}
  // Inserts base vectors [begin, end), one at a time, on this thread.
  virtual void build(const float* base, std::size_t begin, std::size_t end) = 0;
  virtual void set_ef(std::size_t ef) = 0;
  // Answers queries [0, nq) one by one; ids[q*k ..] receives the k best of query q.
  virtual void search_all(const float* queries, std::size_t nq, std::size_t k,
                          std::uint32_t* ids) = 0;
  virtual std::size_t own_bytes() const = 0;
  virtual std::string own_note() const { return ""; }
};

class HnswlibContender final : public Contender {
 public:
  HnswlibContender(const Options& o, std::size_t n, bool ip)
      : space_(ip ? static_cast<hnswlib::SpaceInterface<float>*>(new hnswlib::InnerProductSpace(o.dim))
                  : static_cast<hnswlib::SpaceInterface<float>*>(new hnswlib::L2Space(o.dim))),
        index_(space_.get(), n, o.m, o.efc, o.seed),
        dim_(o.dim) {}
  std::string name() const override { return "hnswlib"; }
  void build(const float* base, std::size_t begin, std::size_t end) override {
    for (std::size_t i = begin; i < end; ++i) index_.addPoint(base + i * dim_, i);
  }
  void set_ef(std::size_t ef) override { index_.setEf(ef); }
  void search_all(const float* queries, std::size_t nq, std::size_t k,
                  std::uint32_t* ids) override {
    for (std::size_t q = 0; q < nq; ++q) {
      auto pq = index_.searchKnn(queries + q * dim_, k);
      // The queue pops worst first.
      std::size_t slot = pq.size();
      std::fill(ids + q * k + slot, ids + (q + 1) * k, UINT32_MAX);
      for (; !pq.empty(); pq.pop()) ids[q * k + --slot] = static_cast<std::uint32_t>(pq.top().second);
    }
  }
  // What its own structures hold: the level-0 block (links, vector, label per element),
  // upper-level link lists, per-element pointer, level and lock, the label map, the fixed
  // pool of update locks and one visited list.
  std::size_t own_bytes() const override {
    const auto& h = index_;
    std::size_t upper = 0;
    for (std::size_t i = 0; i < h.cur_element_count; ++i)
      if (h.element_levels_[i] > 0) upper += h.size_links_per_element_ * h.element_levels_[i];
    std::size_t map = h.label_lookup_.size() * 32 + h.label_lookup_.bucket_count() * sizeof(void*);
    return h.max_elements_ * h.size_data_per_element_ + upper +
           h.max_elements_ * (sizeof(void*) + sizeof(int) + sizeof(std::mutex)) + map +
           hnswlib::HierarchicalNSW<float>::max_update_element_locks * sizeof(std::mutex) +
           h.max_elements_ * sizeof(hnswlib::vl_type);
  }

 private:
  std::unique_ptr<hnswlib::SpaceInterface<float>> space_;
  hnswlib::HierarchicalNSW<float> index_;
  std::size_t dim_;
};

#ifdef RECO_BENCH_FAISS
// faiss's HNSW over a flat or 8-bit scalar-quantized storage index.
class FaissContender final : public Contender {
 public:
  FaissContender(const Options& o, bool ip, bool sq8) : dim_(o.dim), sq8_(sq8) {
    auto metric = ip ? faiss::METRIC_INNER_PRODUCT : faiss::METRIC_L2;
    if (sq8)
      index_ = std::make_unique<faiss::IndexHNSWSQ>(int(o.dim), faiss::ScalarQuantizer::QT_8bit,
                                                    int(o.m), metric);
    else
      index_ = std::make_unique<faiss::IndexHNSWFlat>(int(o.dim), int(o.m), metric);
    index_->hnsw.efConstruction = int(o.efc);
  }
  std::string name() const override { return sq8_ ? "faiss-hnsw-sq8" : "faiss-hnsw"; }
  void prepare(const float* base, std::size_t n) override {
    if (sq8_) index_->train(Idx(n), base);  // per-dimension ranges of the codes
  }
  void build(const float* base, std::size_t begin, std::size_t end) override {
    index_->add(Idx(end - begin), base + begin * dim_);
  }
  void set_ef(std::size_t ef) override { index_->hnsw.efSearch = int(ef); }
  void search_all(const float* queries, std::size_t nq, std::size_t k,
                  std::uint32_t* ids) override {
    prepare_out(nq, k);
    for (std::size_t q = 0; q < nq; ++q)
      index_->search(1, queries + q * dim_, Idx(k), dist_.data() + q * k, labels_.data() + q * k);
    copy_out(nq * k, ids);
  }
  // All queries in one call: what faiss is built for, still on one thread.
  void search_batch(const float* queries, std::size_t nq, std::size_t k, std::uint32_t* ids) {
    prepare_out(nq, k);
    index_->search(Idx(nq), queries, Idx(k), dist_.data(), labels_.data());
    copy_out(nq * k, ids);
  }
  // Storage codes plus the graph: neighbour table, per-vector offsets and levels.
  std::size_t own_bytes() const override {
    const auto& h = index_->hnsw;
    std::size_t codes = 0;
    if (auto* flat = dynamic_cast<const faiss::IndexFlatCodes*>(index_->storage))
      codes = flat->codes.capacity();  // IndexFlat and IndexScalarQuantizer alike
    return codes + h.neighbors.capacity() * sizeof(faiss::HNSW::storage_idx_t) +
           h.offsets.capacity() * sizeof(std::size_t) + h.levels.capacity() * sizeof(int);
  }

 private:
  using Idx = faiss::Index::idx_t;
  void prepare_out(std::size_t nq, std::size_t k) {
    labels_.resize(nq * k);
    dist_.resize(nq * k);
  }
  void copy_out(std::size_t count, std::uint32_t* ids) const {
    for (std::size_t i = 0; i < count; ++i)
      ids[i] = labels_[i] < 0 ? UINT32_MAX : static_cast<std::uint32_t>(labels_[i]);
  }
  std::unique_ptr<faiss::IndexHNSW> index_;
  std::size_t dim_;
  bool sq8_;
  std::vector<Idx> labels_;
  std::vector<float> dist_;
};

// faiss-hnsw's very index, queried in one batch call; builds nothing of its own.
class FaissBatchView final : public Contender {
 public:
  explicit FaissBatchView(FaissContender& f) : f_(f) {}
  std::string name() const override { return "faiss-hnsw-batch"; }
  void build(const float*, std::size_t, std::size_t) override {}
  void set_ef(std::size_t ef) override { f_.set_ef(ef); }
  void search_all(const float* queries, std::size_t nq, std::size_t k,
                  std::uint32_t* ids) override {
    f_.search_batch(queries, nq, k, ids);
  }
  std::size_t own_bytes() const override { return f_.own_bytes(); }

 private:
  FaissContender& f_;
};
#endif

#ifdef RECO_BENCH_HAVE_HNSW
// reco's index through the VectorIndex interface the catalog uses, so the bench measures
// what RECO.RECOMMEND's vector recall runs (ef goes per query, as SearchParams).
//
// Each contender searches under its own kernel (set before every pass, since views of one
// index under other kernels run in between); a view builds nothing.
class RecoContender final : public Contender {
 public:
  RecoContender(std::string name, std::shared_ptr<reco::VectorIndex> index,
                std::string kernel = std::string(reco::active_kernel_name()), bool builds = true)
      : name_(std::move(name)), index_(std::move(index)), kernel_(std::move(kernel)), builds_(builds) {}
  std::string name() const override { return name_; }
  // Searches this index under `kernel`, as column `name`.
  std::unique_ptr<Contender> view(std::string name, std::string kernel) const {
    return std::make_unique<RecoContender>(std::move(name), index_, std::move(kernel), false);
  }
  void rename(std::string name, std::string kernel) {
    name_ = std::move(name);
    kernel_ = std::move(kernel);
  }
  void build(const float* base, std::size_t begin, std::size_t end) override {
    if (!builds_) return;
    const std::size_t dim = index_->dim();
    for (std::size_t i = begin; i < end; ++i)
      index_->set(static_cast<std::uint32_t>(i), {base + i * dim, dim});
  }
  void set_ef(std::size_t ef) override { params_.ef = ef; }
  void search_all(const float* queries, std::size_t nq, std::size_t k,
                  std::uint32_t* ids) override {
    reco::set_kernel(kernel_);
    const std::size_t dim = index_->dim();
    for (std::size_t q = 0; q < nq; ++q) {
      auto hits = index_->search({queries + q * dim, dim}, k, no_filter_, params_);
      std::size_t j = 0;
      for (; j < hits.size() && j < k; ++j) ids[q * k + j] = hits[j].id;
      for (; j < k; ++j) ids[q * k + j] = UINT32_MAX;
    }
  }
  std::size_t own_bytes() const override { return index_->memory_bytes(); }

 private:
  std::string name_;
  std::shared_ptr<reco::VectorIndex> index_;
  std::string kernel_;
  bool builds_;
  reco::SearchParams params_;
  reco::ItemFilter no_filter_;
};

std::unique_ptr<Contender> make_reco(const Options& o, const char* name, reco::HnswQuant quant,
                                     bool keep_float) {
  reco::HnswParams p;
  p.m = o.m;
  p.ef_construction = o.efc;
  p.seed = o.seed;
  p.quant = quant;
  p.keep_float = keep_float;
  reco::Metric metric = o.metric == "l2"   ? reco::Metric::L2
                        : o.metric == "ip" ? reco::Metric::InnerProduct
                                           : reco::Metric::Cosine;
  return std::make_unique<RecoContender>(name, std::make_unique<reco::HnswIndex>(o.dim, metric, p));
}
#endif

// ---- exact answers --------------------------------------------------------------------------

// ids[q*k ..]: the exact k best of query q. `base`/`queries` are already unit length for
// cosine, so cosine is inner product here.
std::vector<std::uint32_t> exact_answers(const Options& o, const std::vector<float>& base,
                                         const std::vector<float>& queries, const char** how) {
  const std::size_t nq = o.queries, k = o.k;
  std::vector<std::uint32_t> ids(nq * k);
  const bool ip = o.metric != "l2";
#ifdef RECO_BENCH_FAISS
  std::unique_ptr<faiss::IndexFlat> flat;
  if (ip) flat = std::make_unique<faiss::IndexFlatIP>(faiss::Index::idx_t(o.dim));
  else flat = std::make_unique<faiss::IndexFlatL2>(faiss::Index::idx_t(o.dim));
  flat->add(faiss::Index::idx_t(o.n), base.data());
  std::vector<faiss::Index::idx_t> labels(nq * k);
  std::vector<float> dist(nq * k);
  flat->search(faiss::Index::idx_t(nq), queries.data(), faiss::Index::idx_t(k), dist.data(), labels.data());
  for (std::size_t i = 0; i < nq * k; ++i) ids[i] = static_cast<std::uint32_t>(labels[i]);
  *how = ip ? "faiss IndexFlatIP" : "faiss IndexFlatL2";
#else
  reco::FlatIndex flat(o.dim, ip ? reco::Metric::InnerProduct : reco::Metric::L2);
  for (std::size_t i = 0; i < o.n; ++i)
    flat.set(static_cast<std::uint32_t>(i), {&base[i * o.dim], o.dim});
  const reco::ItemFilter none;
  for (std::size_t q = 0; q < nq; ++q) {
    auto hits = flat.search({&queries[q * o.dim], o.dim}, k, none);
    for (std::size_t j = 0; j < k; ++j) ids[q * k + j] = j < hits.size() ? hits[j].id : UINT32_MAX;
  }
  *how = ip ? "reco FlatIndex IP" : "reco FlatIndex L2";
#endif
  return ids;
}

double recall(const std::vector<std::uint32_t>& truth, const std::vector<std::uint32_t>& got,
              std::size_t nq, std::size_t k) {
  std::size_t hit = 0;
  for (std::size_t q = 0; q < nq; ++q) {
    const std::uint32_t* t = &truth[q * k];
    for (std::size_t j = 0; j < k; ++j) {
      std::uint32_t id = got[q * k + j];
      if (id != UINT32_MAX && std::find(t, t + k, id) != t + k) ++hit;
    }
  }
  return double(hit) / double(nq * k);
}

// ---- results --------------------------------------------------------------------------------

struct Point {
  std::size_t ef;
  double recall = 0, best_qps = 0;  // best_qps: by the chosen clock, best round
  std::vector<double> wall_qps, cpu_qps;  // one per round
  const std::vector<double>& qps() const { return g_cpu_clock ? cpu_qps : wall_qps; }
};

struct Result {
  std::unique_ptr<Contender> c;
  double build_wall_s = 0, build_cpu_s = 0, build_s = 0;  // build_s: the chosen clock
  std::size_t heap_bytes = 0, own_bytes = 0;
  bool raw_input = false;
  std::vector<Point> points;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct AtRecall {
  double qps = 0;
  bool lower_bound = false;  // the sweep's first point already beats the target
  bool reached = false;
};

AtRecall qps_at_recall(const std::vector<Point>& pts, double target) {
  AtRecall a;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    if (pts[i].recall < target) continue;
    a.reached = true;
    if (i == 0) {
      a.qps = pts[0].best_qps;
      a.lower_bound = true;
    } else {
      const Point &lo = pts[i - 1], &hi = pts[i];
      double t = (target - lo.recall) / (hi.recall - lo.recall);
      a.qps = std::exp(std::log(lo.best_qps) + t * (std::log(hi.best_qps) - std::log(lo.best_qps)));
    }
    return a;
  }
  return a;
}

std::string fmt_at(const AtRecall& a) {
  if (!a.reached) return "not reached";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%.0f", a.lower_bound ? ">=" : "", a.qps);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  Options o;
  try {
    o = parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hnsw_bench: %s\n", e.what());
    return 2;
  }
#ifdef RECO_BENCH_FAISS
  omp_set_num_threads(1);  // one thread everywhere: builds and searches alike
#endif
  const bool cosine = o.metric == "cosine", ip = o.metric != "l2";
  auto wanted = [&](const std::string& lib) { return o.libs.empty() || o.libs.count(lib) > 0; };

  // Builds are interleaved in chunks (chunk c of every library, then chunk c+1, ...) so
  // that load from other processes spreads over all of them; each chunk is timed, and the
  // heap growth measured around it is that library's alone since nothing else runs then.
  struct Entry {
    std::string lib;
    std::function<std::unique_ptr<Contender>()> make;
    bool raw_input;  // reco takes raw vectors (it normalises for cosine itself)
  };
  std::vector<Entry> entries;
  entries.push_back({"hnswlib", [&] { return std::make_unique<HnswlibContender>(o, o.n, ip); }, false});
#ifdef RECO_BENCH_FAISS
  entries.push_back({"faiss-hnsw", [&] { return std::make_unique<FaissContender>(o, ip, false); }, false});
  entries.push_back({"faiss-hnsw-sq8", [&] { return std::make_unique<FaissContender>(o, ip, true); }, false});
#endif
#ifdef RECO_BENCH_HAVE_HNSW
  entries.push_back({"reco-hnsw", [&] { return make_reco(o, "reco-hnsw", reco::HnswQuant::None, false); }, true});
  entries.push_back({"reco-hnsw-int8", [&] { return make_reco(o, "reco-hnsw-int8", reco::HnswQuant::Int8, false); }, true});
  entries.push_back({"reco-hnsw-int8-float", [&] { return make_reco(o, "reco-hnsw-int8-float", reco::HnswQuant::Int8, true); }, true});
#endif

  for (const std::string& lib : o.libs) {
    bool known = lib == "faiss-hnsw-batch" && RECO_BENCH_HAS_FAISS;
    for (auto& e : entries) known |= e.lib == lib;
    if (!known) {
      std::fprintf(stderr, "hnsw_bench: --libs: '%s' is not built in\n%s", lib.c_str(), kUsage);
      return 2;
    }
  }

  auto t0 = Clock::now();
  reco::bench::ClusteredData d =
      reco::bench::make_clustered(o.n, o.dim, o.queries, o.clusters, o.seed);
  // hnswlib and faiss have no cosine space: they get unit vectors and inner product, which
  // is what reco does inside (it receives the raw vectors and normalises them itself).
  std::vector<float> unit_base, unit_queries;
  if (cosine) {
    unit_base = d.base;
    unit_queries = d.queries;
    reco::bench::normalise_rows(unit_base, o.dim);
    reco::bench::normalise_rows(unit_queries, o.dim);
  }
  const std::vector<float>& lib_base = cosine ? unit_base : d.base;
  const std::vector<float>& lib_queries = cosine ? unit_queries : d.queries;
  std::printf("# data: %zu x %zu, %zu clusters, %zu queries, metric %s, seed %u (%.1f s)\n", o.n,
              o.dim, o.clusters, o.queries, o.metric.c_str(), o.seed, seconds_since(t0));
  std::printf("# reco kernels: builds under %s\n", std::string(reco::active_kernel_name()).c_str());

  t0 = Clock::now();
  const char* how = "";
  std::vector<std::uint32_t> truth = exact_answers(o, lib_base, lib_queries, &how);
  std::printf("# exact top-%zu from %s (%.1f s)\n", o.k, how, seconds_since(t0));

  std::vector<Result> results;
  for (auto& e : entries) {
    // The batch view queries faiss-hnsw's index, so asking for it builds that index.
    if (!wanted(e.lib) && !(e.lib == "faiss-hnsw" && wanted("faiss-hnsw-batch"))) continue;
    Result r;
    r.raw_input = e.raw_input;
    std::size_t before = heap_in_use();
    Span span;
    r.c = e.make();
    r.c->prepare(e.raw_input ? d.base.data() : lib_base.data(), o.n);
    r.build_wall_s = span.wall();
    r.build_cpu_s = span.cpu();
    r.heap_bytes = heap_in_use() - before;
    results.push_back(std::move(r));
  }
  const std::size_t chunk = std::max<std::size_t>(1, std::min<std::size_t>(o.build_chunk, o.n));
  auto tb = Clock::now();
  for (std::size_t begin = 0; begin < o.n; begin += chunk) {
    const std::size_t end = std::min(o.n, begin + chunk);
    for (auto& r : results) {
      std::size_t before = heap_in_use();
      Span span;
      r.c->build(r.raw_input ? d.base.data() : lib_base.data(), begin, end);
      r.build_wall_s += span.wall();
      r.build_cpu_s += span.cpu();
      r.heap_bytes += heap_in_use() - before;
    }
    if (seconds_since(tb) > 60) {
      std::printf("# building: %zu / %zu\n", end, o.n);
      tb = Clock::now();
    }
  }
#ifdef RECO_BENCH_FAISS
  // The batch view shares faiss-hnsw's index: its build and memory are that index's.
  if (wanted("faiss-hnsw-batch")) {
    for (std::size_t i = 0; i < results.size(); ++i) {
      if (results[i].c->name() != "faiss-hnsw") continue;
      Result v;
      v.c = std::make_unique<FaissBatchView>(static_cast<FaissContender&>(*results[i].c));
      v.build_wall_s = results[i].build_wall_s;
      v.build_cpu_s = results[i].build_cpu_s;
      v.heap_bytes = results[i].heap_bytes;
      results.insert(results.begin() + i + 1, std::move(v));
      break;
    }
  }
#endif
#ifdef RECO_BENCH_HAVE_HNSW
  // Views of each reco index under the --kernels kernels: the index itself takes the first.
  if (!o.kernels.empty()) {
    for (std::size_t i = 0; i < results.size(); ++i) {
      auto* rc = dynamic_cast<RecoContender*>(results[i].c.get());
      if (!rc) continue;
      const std::string base = rc->name();
      for (std::size_t j = 1; j < o.kernels.size(); ++j) {
        Result v;
        v.c = rc->view(base + "@" + o.kernels[j], o.kernels[j]);
        v.raw_input = results[i].raw_input;
        v.build_wall_s = results[i].build_wall_s;
        v.build_cpu_s = results[i].build_cpu_s;
        v.heap_bytes = results[i].heap_bytes;
        results.insert(results.begin() + i + j, std::move(v));
      }
      rc->rename(base + "@" + o.kernels[0], o.kernels[0]);
      i += o.kernels.size() - 1;
    }
  }
#endif
  for (auto& r : results) {
    r.own_bytes = r.c->own_bytes();
    r.build_s = g_cpu_clock ? r.build_cpu_s : r.build_wall_s;
    for (std::size_t ef : o.efs) r.points.push_back(Point{ef, 0, 0, {}, {}});
    std::printf("# built %-22s %8.2f s cpu %8.2f s wall  heap %7.1f B/vec  own %7.1f B/vec\n",
                r.c->name().c_str(), r.build_cpu_s, r.build_wall_s, double(r.heap_bytes) / o.n,
                double(r.own_bytes) / o.n);
  }
  if (results.empty()) {
    std::fprintf(stderr, "hnsw_bench: --libs selected no library that is built in\n%s", kUsage);
    return 2;
  }

  std::vector<std::uint32_t> got(o.queries * o.k);
  for (std::size_t round = 0; round < o.rounds; ++round) {
    for (std::size_t pi = 0; pi < o.efs.size(); ++pi) {
      for (auto& r : results) {
        const float* qs = r.raw_input ? d.queries.data() : lib_queries.data();
        r.c->set_ef(o.efs[pi]);
        Span span;
        r.c->search_all(qs, o.queries, o.k, got.data());
        double wall = span.wall(), cpu = span.cpu();
        Point& p = r.points[pi];
        p.wall_qps.push_back(double(o.queries) / wall);
        p.cpu_qps.push_back(double(o.queries) / std::max(cpu, 1e-9));
        p.best_qps = std::max(p.best_qps, p.qps().back());
        if (round == 0) p.recall = recall(truth, got, o.queries, o.k);
      }
    }
    std::printf("# round %zu/%zu done\n", round + 1, o.rounds);
  }

  // ---- report ----
  const Result* ref = nullptr;
  for (auto& r : results)
    if (r.c->name() == "hnswlib") ref = &r;

  std::printf("\n== %s: n=%zu dim=%zu metric=%s M=%zu efConstruction=%zu k=%zu queries=%zu "
              "rounds=%zu (best round, %s time) ==\n",
              o.dataset.c_str(), o.n, o.dim, o.metric.c_str(), o.m, o.efc, o.k, o.queries,
              o.rounds, g_cpu_clock ? "thread CPU" : "wall");
  std::printf("%-22s %9s %7s %11s %10s %7s\n", "library", "build s", "x hnsw", "heap B/vec",
              "own B/vec", "x hnsw");
  for (auto& r : results) {
    std::printf("%-22s %9.2f %7.2f %11.1f %10.1f %7.2f\n", r.c->name().c_str(), r.build_s,
                ref ? r.build_s / ref->build_s : 0.0, double(r.heap_bytes) / o.n,
                double(r.own_bytes) / o.n,
                ref ? double(r.heap_bytes) / double(ref->heap_bytes) : 0.0);
  }
  std::printf("\nrecall@%zu / QPS (one query per call, one thread)\n%-6s", o.k, "ef");
  for (auto& r : results) std::printf(" %22s", r.c->name().c_str());
  std::printf("\n");
  for (std::size_t pi = 0; pi < o.efs.size(); ++pi) {
    std::printf("%-6zu", o.efs[pi]);
    for (auto& r : results) {
      char cell[64];
      std::snprintf(cell, sizeof cell, "%.4f / %.0f", r.points[pi].recall, r.points[pi].best_qps);
      std::printf(" %22s", cell);
    }
    std::printf("\n");
  }
  for (double target : {0.95, 0.93}) {
    std::printf("\nQPS at recall@%zu = %.2f (x hnswlib):\n", o.k, target);
    AtRecall base = ref ? qps_at_recall(ref->points, target) : AtRecall{};
    for (auto& r : results) {
      AtRecall a = qps_at_recall(r.points, target);
      std::printf("  %-22s %12s", r.c->name().c_str(), fmt_at(a).c_str());
      if (a.reached && base.reached) std::printf("  %.2fx", a.qps / base.qps);
      std::printf("\n");
    }
  }

  if (!o.csv.empty()) {
    FILE* f = std::fopen(o.csv.c_str(), "a");
    if (!f) {
      std::fprintf(stderr, "hnsw_bench: cannot open %s\n", o.csv.c_str());
      return 1;
    }
    std::fseek(f, 0, SEEK_END);
    if (std::ftell(f) == 0)
      std::fprintf(f, "dataset,library,n,dim,metric,m,efc,build_s,heap_bytes_per_vec,"
                      "own_bytes_per_vec,ef,recall,qps_best,qps_median,clock,build_wall_s,build_cpu_s,"
                      "qps_wall_best,qps_cpu_best\n");
    for (auto& r : results)
      for (auto& p : r.points)
        std::fprintf(f,
                     "\"%s\",%s,%zu,%zu,%s,%zu,%zu,%.4f,%.2f,%.2f,%zu,%.5f,%.1f,%.1f,%s,%.4f,%.4f,"
                     "%.1f,%.1f\n",
                     o.dataset.c_str(), r.c->name().c_str(), o.n, o.dim, o.metric.c_str(), o.m,
                     o.efc, r.build_s, double(r.heap_bytes) / o.n, double(r.own_bytes) / o.n,
                     p.ef, p.recall, p.best_qps, median(p.qps()), g_cpu_clock ? "cpu" : "wall",
                     r.build_wall_s, r.build_cpu_s,
                     *std::max_element(p.wall_qps.begin(), p.wall_qps.end()),
                     *std::max_element(p.cpu_qps.begin(), p.cpu_qps.end()));
    std::fclose(f);
    std::printf("\n# appended %zu rows to %s\n", results.size() * o.efs.size(), o.csv.c_str());
  }
  return 0;
}
