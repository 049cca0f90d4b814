// Similarity metrics of a catalog's vector space.
//
// Every index reports "higher is better" scores so that recall sources can be blended:
// inner product as is, cosine as the inner product of unit vectors (vectors are normalised
// once when stored, queries once per search), L2 as the negated squared distance.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace reco {

enum class Metric { InnerProduct, Cosine, L2 };

std::string_view metric_name(Metric m);                  // "IP", "COSINE", "L2"
std::optional<Metric> parse_metric(std::string_view s);  // case-insensitive

// Scales v to unit length, as COSINE stores and queries vectors; a zero vector stays zero
// (it scores 0 with everything).
void normalise(std::span<float> v);

}  // namespace reco
