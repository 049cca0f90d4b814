// Data helpers shared by the integration tests: wire vectors, pipelined loading, and a
// double-precision reference scorer that knows nothing of the engine.
//
// Kept header-only and free of engine headers on purpose: integration tests see reco only
// through the wire, so their expectations cannot inherit an engine bug.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "redis_server.hpp"

namespace reco::test {

using Args = std::vector<std::string>;

inline std::string fp32(const std::vector<float>& v) {
  std::string b(v.size() * 4, '\0');
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::uint32_t bits;
    std::memcpy(&bits, &v[i], 4);
    for (int j = 0; j < 4; ++j) b[i * 4 + j] = char((bits >> (8 * j)) & 0xff);
  }
  return b;
}

inline std::vector<float> random_vector(std::mt19937_64& rng, std::size_t dim) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(dim);
  for (auto& x : v) x = d(rng);
  return v;
}

// Text form of a float that reads back to the same value.
inline std::string text(float x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", double(x));
  return buf;
}

inline Args values_args(const std::vector<float>& v) {
  Args a{"VALUES", std::to_string(v.size())};
  for (float x : v) a.push_back(text(x));
  return a;
}

inline Args concat(Args a, const Args& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Sends `cmds` in batches without waiting for each reply; returns the replies in order.
inline std::vector<Reply> pipeline(Client& c, const std::vector<Args>& cmds,
                                   std::size_t batch = 500) {
  std::vector<Reply> out;
  out.reserve(cmds.size());
  for (std::size_t i = 0; i < cmds.size(); i += batch) {
    std::size_t end = std::min(cmds.size(), i + batch);
    for (std::size_t j = i; j < end; ++j) c.send(cmds[j]);
    for (std::size_t j = i; j < end; ++j) out.push_back(c.read_reply());
  }
  return out;
}

// Like pipeline(), but every reply must be a success.
inline void load(Client& c, const std::vector<Args>& cmds) {
  auto replies = pipeline(c, cmds);
  for (std::size_t i = 0; i < replies.size(); ++i)
    ASSERT_FALSE(replies[i].is_error())
        << cmds[i][0] << " " << (cmds[i].size() > 2 ? cmds[i][2] : "") << ": "
        << replies[i].str;
}

inline std::string join(const Args& a) {
  std::string s;
  for (const auto& x : a) {
    if (!s.empty()) s += ' ';
    bool printable = std::all_of(x.begin(), x.end(), [](char ch) {
      return ch >= 0x20 && ch < 0x7f;
    });
    s += printable ? x : "<" + std::to_string(x.size()) + " bytes>";
  }
  return s;
}

enum class RefMetric { IP, Cosine, L2 };

inline double ref_score(RefMetric m, const std::vector<float>& q, const std::vector<float>& v) {
  double s = 0, qq = 0, vv = 0;
  for (std::size_t i = 0; i < q.size(); ++i) {
    if (m == RefMetric::L2) {
      double d = double(q[i]) - v[i];
      s -= d * d;
    } else {
      s += double(q[i]) * v[i];
      qq += double(q[i]) * q[i];
      vv += double(v[i]) * v[i];
    }
  }
  if (m == RefMetric::Cosine) return (qq == 0 || vv == 0) ? 0 : s / std::sqrt(qq * vv);
  return s;
}

struct RefHit {
  std::size_t index;
  double score;
};

// Best first over items [0, n) for which allowed(i) holds.
inline std::vector<RefHit> brute_force(RefMetric m, const std::vector<float>& q,
                                       const std::vector<std::vector<float>>& items,
                                       const std::function<bool(std::size_t)>& allowed,
                                       std::size_t k) {
  std::vector<RefHit> all;
  for (std::size_t i = 0; i < items.size(); ++i)
    if (allowed(i)) all.push_back({i, ref_score(m, q, items[i])});
  std::sort(all.begin(), all.end(), [](const RefHit& a, const RefHit& b) {
    return a.score > b.score || (a.score == b.score && a.index < b.index);
  });
  if (all.size() > k) all.resize(k);
  return all;
}

}  // namespace reco::test
