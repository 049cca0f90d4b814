// Names of the vector metrics, as clients write them.
#include "reco/metric.hpp"

#include <strings.h>

#include <cmath>

#include <string>

namespace reco {

std::string_view metric_name(Metric m) {
  switch (m) {
    case Metric::InnerProduct: return "IP";
    case Metric::Cosine: return "COSINE";
    case Metric::L2: return "L2";
  }
  return "?";
}

std::optional<Metric> parse_metric(std::string_view s) {
  for (Metric m : {Metric::InnerProduct, Metric::Cosine, Metric::L2}) {
    auto name = metric_name(m);
    if (s.size() == name.size() && strncasecmp(s.data(), name.data(), s.size()) == 0) return m;
  }
  return std::nullopt;
}

void normalise(std::span<float> v) {
  double n2 = 0;
  for (float x : v) n2 += double(x) * x;
  if (n2 > 0) {
    float inv = static_cast<float>(1.0 / std::sqrt(n2));
    for (float& x : v) x *= inv;
  }
}

}  // namespace reco
