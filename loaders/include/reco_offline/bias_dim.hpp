// Which dimension of a factor file carries an item bias, so that reco-load can tell the
// catalog (RECO.CATALOG.CONFIG SET <catalog> BIAS_DIM ...): item-to-item queries leave that
// dimension out (RECO.SIMILAR, the SESSION source; see the module's item_similarity.hpp).
//
// reco-train writes train_log.json next to the factors it exports, and the log says what
// the vectors are: `objective` next-item exports items [q, b] and users [p, 1] (the bias
// is the last dimension); logistic exports plain factors unless `popularity_prior` > 0,
// which appends a popularity dimension (a bias too). Factor files made elsewhere have no
// log, and then nothing is assumed: the catalog keeps what it has unless --bias-dim says.
#pragma once

#include <optional>
#include <string>

namespace reco_offline {

class RedisConnection;

// "LAST" or "NONE" from the train_log.json in `dir`; nothing when there is no log or it
// does not say (a log that cannot be parsed is a DataError: bad input is not guessed at).
// `why` (optional) gets a short reason for the choice, for the loader's output.
std::optional<std::string> bias_dim_from_train_log(const std::string& dir, std::string* why = nullptr);

// Checks a --bias-dim value: auto, LAST, NONE or a non-negative integer (any case).
bool valid_bias_dim_option(const std::string& value);

// Sends RECO.CATALOG.CONFIG SET <catalog> BIAS_DIM <value>. Returns false (and prints a
// warning) when the server's module predates BIAS_DIM; throws DataError when the server
// refuses the value.
bool send_bias_dim(RedisConnection& conn, const std::string& catalog, const std::string& value);

}  // namespace reco_offline
