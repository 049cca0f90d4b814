// Area under the ROC curve of scores against binary labels: the number the
// original pipeline reports per epoch, so that results are comparable.
// Computed from ranks (ties share their average rank), O(n log n).
#pragma once

#include <cstdint>
#include <vector>

namespace reco_offline {

// Returns 0.5 when one class is absent (no ranking to judge).
double roc_auc(const std::vector<float>& scores, const std::vector<uint8_t>& labels);

}  // namespace reco_offline
