// Scoring (see reco/model.hpp): the precomputed split, the batch loop, the direct evaluation.
//
// Precomputation runs in double and is stored as float; the batch loop runs in float with
// GCC/Clang vector types (4 lanes, which every x86-64 and AArch64 target has), specialised
// for each padded dot width up to 64 so that the loop over a row is fully unrolled and the
// user vector stays in registers for the whole batch. The MLP after its first layer runs on
// blocks of 64 candidates through the run-time kernels' dense layer (output units as vector
// lanes, a few candidates per weight load, reco/kernel_table.hpp), and its scores are the
// same bits on every CPU. Candidate fields, known only per candidate, add their linear
// terms and first-layer columns inside the batch loop.
#include "reco/model.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>
#include <vector>

#include "reco/error.hpp"
#include "reco/kernels.hpp"

namespace reco {
namespace {

// Dense raw values: a decimal number, optionally with a leading '+'; anything else is
// "unparsable" and maps to the mean.
bool parse_number(std::string_view s, double& out) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  double d = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), d);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size() || !std::isfinite(d)) return false;
  out = d;
  return true;
}

template <class Fn>
void split_multi(std::string_view s, Fn&& fn) {
  for (;;) {
    auto bar = s.find('|');
    fn(s.substr(0, bar));
    if (bar == std::string_view::npos) return;
    s.remove_prefix(bar + 1);
  }
}

const Feature* find_feature(const Vec<Feature>& fs, std::string_view name) {
  for (const Feature& f : fs)
    if (view(f.name) == name) return &f;
  return nullptr;
}

typedef float v4f __attribute__((vector_size(16)));

inline v4f load4(const float* p) {
  v4f v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
inline float hsum(v4f v) { return (v[0] + v[2]) + (v[1] + v[3]); }

// out[k] = c + <p, row(ids[k])[0..N)>. N is the padded dot width (a multiple of 4).
template <std::size_t N>
void dot_batch(const float* p, float c, const float* rows, std::size_t stride,
               const std::uint32_t* ids, std::size_t n, float* out) {
  constexpr std::size_t V = N / 4;
  v4f pv[V];
  for (std::size_t j = 0; j < V; ++j) pv[j] = load4(p + 4 * j);
  constexpr std::size_t kAhead = 8;
  for (std::size_t k = 0; k < n; ++k) {
    if (k + kAhead < n) {
      const char* a = reinterpret_cast<const char*>(rows + std::size_t(ids[k + kAhead]) * stride);
      __builtin_prefetch(a);
      if constexpr (N * 4 > 64) __builtin_prefetch(a + 64);
    }
    const float* r = rows + std::size_t(ids[k]) * stride;
    v4f a0 = {0, 0, 0, 0}, a1 = {0, 0, 0, 0};
    for (std::size_t j = 0; j + 1 < V; j += 2) {
      a0 += pv[j] * load4(r + 4 * j);
      a1 += pv[j + 1] * load4(r + 4 * j + 4);
    }
    if constexpr (V % 2) a0 += pv[V - 1] * load4(r + 4 * (V - 1));
    out[k] = c + hsum(a0 + a1);
  }
}

void dot_batch_any(const float* p, std::size_t len, float c, const float* rows, std::size_t stride,
                   const std::uint32_t* ids, std::size_t n, float* out) {
  for (std::size_t k = 0; k < n; ++k) {
    const float* r = rows + std::size_t(ids[k]) * stride;
    v4f a0 = {0, 0, 0, 0}, a1 = {0, 0, 0, 0};
    std::size_t j = 0;
    for (; j + 8 <= len; j += 8) {
      a0 += load4(p + j) * load4(r + j);
      a1 += load4(p + j + 4) * load4(r + j + 4);
    }
    for (; j < len; j += 4) a0 += load4(p + j) * load4(r + j);
    out[k] = c + hsum(a0 + a1);
  }
}

// exp(x) for 4 lanes: 2^n * e^r with |r| <= ln2/2 and a degree-6 polynomial for e^r
// (relative error ~1e-7). x is clamped to where 2^n stays a normal float.
inline v4f exp4(v4f x) {
  typedef std::int32_t v4i __attribute__((vector_size(16)));
  const v4f lo = {-87.0f, -87.0f, -87.0f, -87.0f}, hi = {88.0f, 88.0f, 88.0f, 88.0f};
  x = x < lo ? lo : x;
  x = x > hi ? hi : x;
  const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const v4f t = x * 1.44269504088896341f;
  const v4f n = (t + magic) - magic;
  const v4f r = (x - n * 0.693359375f) + n * 2.12194440e-4f;  // x - n ln2, ln2 split in two
  v4f p = r * 1.9875691500e-4f + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const v4i bits = (__builtin_convertvector(n, v4i) + 127) << 23;
  v4f scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

void sigmoid_all(float* v, std::size_t n) {
  std::size_t k = 0;
  for (; k + 4 <= n; k += 4) {
    v4f x = load4(v + k);
    x = 1.0f / (1.0f + exp4(-x));
    std::memcpy(v + k, &x, sizeof x);
  }
  if (k < n) {
    float tail[4] = {0, 0, 0, 0};
    std::memcpy(tail, v + k, (n - k) * sizeof(float));
    v4f x = load4(tail);
    x = 1.0f / (1.0f + exp4(-x));
    std::memcpy(tail, &x, sizeof x);
    std::memcpy(v + k, tail, (n - k) * sizeof(float));
  }
}

using DotFn = void (*)(const float*, float, const float*, std::size_t, const std::uint32_t*,
                       std::size_t, float*);

template <std::size_t... I>
constexpr std::array<DotFn, sizeof...(I)> dot_table(std::index_sequence<I...>) {
  return {&dot_batch<4 * (I + 1)>...};
}
constexpr auto kDot = dot_table(std::make_index_sequence<16>{});  // widths 4..64

}  // namespace

// Where raw values come from for one evaluation; item == nullptr while preparing a user.
struct Model::Inputs {
  std::string_view user_key;
  const UserProfile* user = nullptr;
  ContextPairs context;
  std::string_view item_id;
  const Item* item = nullptr;
};

namespace {

// Calls fn(raw) for each raw value of field f (categorical and dense: at most one).
template <class Fn>
void raw_values(const ModelField& f, std::string_view user_key, const UserProfile* user,
                ContextPairs context, std::string_view item_id, const Item* item, Fn&& fn) {
  const bool multi = f.kind == FieldKind::Multi;
  auto emit = [&](std::string_view v) {
    if (multi) split_multi(v, fn);
    else fn(v);
  };
  switch (f.side) {
    case FieldSide::Candidate:  // not a raw string: score() and score_full() take it per candidate
      return;
    case FieldSide::Context:
      for (const auto& kv : context)
        if (kv.first == view(f.name)) {
          emit(kv.second);
          return;
        }
      return;
    case FieldSide::User:
      if (f.source == FieldSource::Id) {
        fn(user_key);
      } else if (!user) {
        return;
      } else if (f.source == FieldSource::Terms) {
        for (const WeightedTerm& t : user->terms) fn(view(t.term));
      } else if (const Feature* ft = find_feature(user->features, view(f.feature))) {
        emit(view(ft->value));
      }
      return;
    case FieldSide::Item:
      if (f.source == FieldSource::Id) {
        fn(item_id);
      } else if (!item) {
        return;
      } else if (f.source == FieldSource::Terms) {
        for (const String& t : item->terms) fn(view(t));
      } else if (const Feature* ft = find_feature(item->features, view(f.feature))) {
        emit(view(ft->value));
      }
      return;
  }
}

}  // namespace

Model::Pooled Model::pool(std::size_t fi, const Inputs& in, double* e) const {
  const ModelField& f = schema_.fields[fi];
  const FieldWeights& w = weights_[fi];
  const std::uint32_t d = w.dim;
  Pooled out;
  if (f.kind == FieldKind::Dense) {
    double raw = 0;
    bool have = false, any = false;
    raw_values(f, in.user_key, in.user, in.context, in.item_id, in.item, [&](std::string_view v) {
      any = true;
      if (!have) have = parse_number(v, raw);
    });
    out.x = have ? (raw - f.mean) / f.std : 0.0;
    if (!have) out.value = any ? FieldValue::Unknown : FieldValue::Missing;
    out.linear = out.x * w.linear[0];
    for (std::uint32_t k = 0; k < d; ++k) e[k] = out.x * w.embed[k];
    return out;
  }
  for (std::uint32_t k = 0; k < d; ++k) e[k] = 0;
  std::size_t count = 0;
  auto add = [&](std::uint32_t r) {
    ++count;
    out.linear += w.linear[r];
    const float* row = w.embed.data() + std::size_t(r) * d;
    for (std::uint32_t k = 0; k < d; ++k) e[k] += row[k];
  };
  if (f.kind == FieldKind::Categorical) {
    std::uint32_t r = 0;
    bool seen = false;
    raw_values(f, in.user_key, in.user, in.context, in.item_id, in.item, [&](std::string_view v) {
      if (!seen) r = f.row(v);
      seen = true;
    });
    add(r);
    if (r == 0) out.value = seen ? FieldValue::Unknown : FieldValue::Missing;
    return out;
  }
  bool any = false;
  raw_values(f, in.user_key, in.user, in.context, in.item_id, in.item, [&](std::string_view v) {
    any = true;
    if (std::uint32_t r = f.row(v)) add(r);
  });
  if (count == 0) {
    add(0);
    out.value = any ? FieldValue::Unknown : FieldValue::Missing;
  }
  if (f.combiner == Combiner::Mean && count > 1) {
    const double inv = 1.0 / double(count);
    out.linear *= inv;
    for (std::uint32_t k = 0; k < d; ++k) e[k] *= inv;
  }
  return out;
}


void Model::side_terms(bool item, const Inputs& in, double* scalar, double* s, double* h,
                       std::uint8_t* values) const {
  const std::size_t F = schema_.fields.size();
  const std::size_t G = schema_.groups.size();
  // One scratch block: every field's embedding, then its dense value, then per-group squares.
  std::vector<double> scratch(e_total_ + F + G, 0.0);
  double* es = scratch.data();
  double* xs = es + e_total_;
  double* sq = xs + F;
  for (std::size_t i = 0; i < F; ++i) {
    const ModelField& f = schema_.fields[i];
    if ((f.side == FieldSide::Item) != item || f.side == FieldSide::Candidate) continue;
    const FieldWeights& w = weights_[i];
    double* e = es + w.e_offset;
    Pooled p = pool(i, in, e);
    if (values) values[i] = static_cast<std::uint8_t>(p.value);
    xs[i] = p.x;
    *scalar += p.linear;
    if (f.group >= 0) {
      double* sg = s + w.q_offset;
      for (std::uint32_t k = 0; k < w.dim; ++k) {
        sg[k] += e[k];
        sq[f.group] += e[k] * e[k];
      }
    }
  }
  for (std::size_t g = 0; g < G; ++g) {
    double n2 = 0;
    const double* sg = s + group_offset_[g];
    for (std::uint32_t k = 0; k < schema_.groups[g].dim; ++k) n2 += sg[k] * sg[k];
    *scalar += 0.5 * (n2 - sq[g]);
  }
  if (!schema_.has_mlp || !h) return;
  const Layer& l0 = layers_[0];
  for (std::size_t j = 0; j < schema_.mlp_inputs.size(); ++j) {
    const MlpInput& mi = schema_.mlp_inputs[j];
    const FieldSide side = schema_.fields[mi.field].side;
    if ((side == FieldSide::Item) != item || side == FieldSide::Candidate) continue;
    const std::size_t off = mlp_offset_[j];
    const double* z = mi.embedding ? es + weights_[mi.field].e_offset : xs + mi.field;
    const std::size_t width = mi.embedding ? weights_[mi.field].dim : 1;
    for (std::uint32_t o = 0; o < l0.out; ++o) {
      const float* wr = l0.weight.data() + std::size_t(o) * l0.in + off;
      double acc = 0;
      for (std::size_t k = 0; k < width; ++k) acc += double(wr[k]) * z[k];
      h[o] += acc;
    }
  }
}

void Model::prepare_item(std::string_view item_id, const Item& item, float* row,
                         std::uint8_t* values) const {
  Inputs in;
  in.item_id = item_id;
  in.item = &item;
  double b = 0;
  std::vector<double> s(q_len_, 0.0);
  std::vector<double> h(schema_.has_mlp ? layers_[0].out : 0, 0.0);
  side_terms(true, in, &b, s.data(), h.empty() ? nullptr : h.data(), values);
  std::fill(row, row + stride_, 0.0f);
  for (std::size_t k = 0; k < q_len_; ++k) row[k] = static_cast<float>(s[k]);
  row[q_len_] = static_cast<float>(b);
  for (std::size_t k = 0; k < h.size(); ++k) row[dot_len_ + k] = static_cast<float>(h[k]);
}

UserSide Model::prepare_user(std::string_view user_key, const UserProfile* user,
                             ContextPairs context) const {
  Inputs in;
  in.user_key = user_key;
  in.user = user;
  in.context = context;
  double c = bias_;
  std::vector<double> s(q_len_, 0.0);
  std::vector<double> h(schema_.has_mlp ? layers_[0].out : 0, 0.0);
  UserSide u;
  u.values.assign(schema_.fields.size(), static_cast<std::uint8_t>(FieldValue::Present));
  side_terms(false, in, &c, s.data(), h.empty() ? nullptr : h.data(), u.values.data());
  u.model = this;
  u.c = static_cast<float>(c);
  u.p.assign(dot_len_, 0.0f);
  for (std::size_t k = 0; k < q_len_; ++k) u.p[k] = static_cast<float>(s[k]);
  u.p[q_len_] = 1.0f;
  u.h.assign(h_len_, 0.0f);
  for (std::size_t k = 0; k < h.size(); ++k) u.h[k] = static_cast<float>(h[k] + layers_[0].bias[k]);
  return u;
}

void Model::score(const UserSide& user, const float* rows, std::span<const std::uint32_t> ids,
                  std::span<float> out, const float* candidates) const {
  if (user.model != this || user.p.size() != dot_len_ || user.h.size() != h_len_)
    throw Error("model: user side was prepared by another model");
  if (out.size() != ids.size()) throw Error("model: score output size does not match the candidates");
  const std::size_t n = ids.size();
  if (n == 0) return;
  if (dot_len_ <= 64)
    kDot[dot_len_ / 4 - 1](user.p.data(), user.c, rows, stride_, ids.data(), n, out.data());
  else
    dot_batch_any(user.p.data(), dot_len_, user.c, rows, stride_, ids.data(), n, out.data());

  // Candidate fields: x per candidate (n x C, standardised), their linear terms now, their
  // first-layer columns below. Without values (RECO.SCORE) every x is 0 and adds nothing.
  const std::size_t C = candidates ? cand_.size() : 0;
  thread_local Vec<float> xs;
  if (C) {
    xs.resize(n * C);
    for (std::size_t k = 0; k < n; ++k) {
      double lin = 0;
      for (std::size_t c = 0; c < C; ++c) {
        const double x = candidate_x(c, candidates[k * C + c]);
        xs[k * C + c] = static_cast<float>(x);
        lin += x * cand_[c].linear;
      }
      out[k] += static_cast<float>(lin);
    }
  }
  const bool cand_mlp = C && schema_.has_mlp;

  if (schema_.has_mlp) {
    // Blocks of candidates, row-major, through the active kernels' dense layer
    // (reco/kernel_table.hpp): the output units are the vector lanes, so the bits do not
    // depend on the CPU, and no layer's input is ever transposed.
    constexpr std::size_t kBlock = 64;
    const kernels::Table& kern = kernels::active();
    std::size_t widest = h_len_;
    for (const Layer& l : layers_) widest = std::max<std::size_t>(widest, l.out);
    thread_local Vec<float> buf;
    if (buf.size() < 2 * widest * kBlock) buf.assign(2 * widest * kBlock, 0.0f);
    const v4f zero = {0, 0, 0, 0};
    for (std::size_t k0 = 0; k0 < n; k0 += kBlock) {
      const std::size_t B = std::min(kBlock, n - k0);
      if (layers_.size() == 1) {  // no hidden layer: the first layer is the output
        for (std::size_t j = 0; j < B; ++j) {
          float h = user.h[0] + rows[std::size_t(ids[k0 + j]) * stride_ + dot_len_];
          if (cand_mlp)
            for (std::size_t c = 0; c < C; ++c) h += xs[(k0 + j) * C + c] * cand_w0_[c * h_len_];
          out[k0 + j] += h;
        }
        continue;
      }
      float* a_buf = buf.data();
      float* b_buf = buf.data() + widest * kBlock;
      // a = relu(h_u + h_i), h_len_ wide (a multiple of 4; the padding is 0 on both sides).
      for (std::size_t j = 0; j < B; ++j) {
        if (k0 + j + 4 < n) {
          const char* next = reinterpret_cast<const char*>(rows + std::size_t(ids[k0 + j + 4]) * stride_ + dot_len_);
          for (std::size_t b = 0; b < h_len_ * 4; b += 64) __builtin_prefetch(next + b);
        }
        const float* hi = rows + std::size_t(ids[k0 + j]) * stride_ + dot_len_;
        float* a = a_buf + j * h_len_;
        for (std::size_t k = 0; k < h_len_; k += 4) {
          v4f x = load4(user.h.data() + k) + load4(hi + k);
          if (cand_mlp)
            for (std::size_t c = 0; c < C; ++c) x += xs[(k0 + j) * C + c] * load4(cand_w0_.data() + c * h_len_ + k);
          x = x < zero ? zero : x;
          std::memcpy(a + k, &x, sizeof x);
        }
      }
      std::size_t lda = h_len_;
      for (std::size_t li = 1; li < layers_.size(); ++li) {
        const Layer& l = layers_[li];
        kern.dense_layer(l.weight_t.data(), l.bias.data(), l.out, l.in, a_buf, lda, B, b_buf, l.out,
                         li + 1 < layers_.size());
        std::swap(a_buf, b_buf);
        lda = l.out;
      }
      for (std::size_t j = 0; j < B; ++j) out[k0 + j] += a_buf[j];  // the last layer has one unit
    }
  }
  // Absurd (finite) weights or raw values can overflow to inf - inf; a NaN would break
  // every ordering downstream, so it ranks last instead.
  for (std::size_t k = 0; k < n; ++k)
    if (std::isnan(out[k])) out[k] = -std::numeric_limits<float>::infinity();
  if (schema_.output == ModelOutput::Sigmoid) sigmoid_all(out.data(), n);
}

float Model::score_full(std::string_view user_key, const UserProfile* user, ContextPairs context,
                        std::string_view item_id, const Item& item,
                        std::span<const float> candidates) const {
  if (!candidates.empty() && candidates.size() != cand_.size())
    throw Error("model: " + std::to_string(candidates.size()) + " candidate values for " +
                std::to_string(cand_.size()) + " candidate fields");
  Inputs in{user_key, user, context, item_id, &item};
  const std::size_t F = schema_.fields.size();
  std::vector<double> es(e_total_, 0.0);
  std::vector<double> xs(F, 0.0);
  double logit = bias_;
  std::size_t c = 0;
  for (std::size_t i = 0; i < F; ++i) {
    if (schema_.fields[i].side == FieldSide::Candidate) {
      xs[i] = candidates.empty() ? 0.0 : candidate_x(c, candidates[c]);
      logit += xs[i] * weights_[i].linear[0];
      ++c;
      continue;
    }
    Pooled p = pool(i, in, es.data() + weights_[i].e_offset);
    logit += p.linear;
    xs[i] = p.x;
  }
  for (std::size_t g = 0; g < schema_.groups.size(); ++g) {
    std::vector<double> sum(schema_.groups[g].dim, 0.0);
    double sq = 0;
    for (std::size_t i = 0; i < F; ++i) {
      if (schema_.fields[i].group != int(g)) continue;
      const double* e = es.data() + weights_[i].e_offset;
      for (std::size_t k = 0; k < sum.size(); ++k) {
        sum[k] += e[k];
        sq += e[k] * e[k];
      }
    }
    double n2 = 0;
    for (double v : sum) n2 += v * v;
    logit += 0.5 * (n2 - sq);
  }
  if (schema_.has_mlp) {
    std::vector<double> z;
    for (const MlpInput& mi : schema_.mlp_inputs) {
      const double* e = es.data() + weights_[mi.field].e_offset;
      if (mi.embedding) z.insert(z.end(), e, e + weights_[mi.field].dim);
      else z.push_back(xs[mi.field]);
    }
    for (std::size_t li = 0; li < layers_.size(); ++li) {
      const Layer& l = layers_[li];
      std::vector<double> next(l.out);
      for (std::uint32_t o = 0; o < l.out; ++o) {
        double acc = l.bias[o];
        for (std::uint32_t k = 0; k < l.in; ++k) acc += double(l.weight[std::size_t(o) * l.in + k]) * z[k];
        next[o] = li + 1 < layers_.size() ? std::max(0.0, acc) : acc;
      }
      z = std::move(next);
    }
    logit += z[0];
  }
  float score = schema_.output == ModelOutput::Sigmoid ? static_cast<float>(1.0 / (1.0 + std::exp(-logit)))
                                                        : static_cast<float>(logit);
  return std::isnan(score) ? -std::numeric_limits<float>::infinity() : score;
}

}  // namespace reco
