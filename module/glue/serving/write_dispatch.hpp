// Catalog writes made while queries run: the main thread does not wait for the queries.
//
// A catalog write needs the catalog's exclusive lock, which waits for the queries running
// on it. Taken on the main thread, that wait (0.2-0.8 ms under load, bench/RESULTS.md)
// stalls every client of the server. So when queries are in flight on the catalog and the
// context may block, serve_write() blocks the writing client and a worker waits for the
// lock on the main thread's behalf (SharedCatalog::acquire_for_main); once it is granted,
// the client is unblocked and the main thread applies the write in the reply callback,
// replicates it (as sent: the reply callback still has the command's arguments) and
// replies. Writes stay on the main thread, in the order they are applied, which is the
// order they are replicated and appended to the AOF. Otherwise (no query in flight,
// MULTI, scripts, the replication stream, loading, reco.threads 0) the write is applied
// at once, as before. `apply` must validate before it changes anything (it replies with
// its error otherwise). A client that disconnects before the grant loses its write, as
// if it had never been sent; the lock is released all the same.
#pragma once

#include <functional>
#include <memory>

#include "reco/catalog.hpp"
#include "reco/serving/shared_catalog.hpp"
#include "redismodule.h"

namespace reco::glue {

using WriteApply = std::function<void(Catalog& catalog, RedisModuleCtx* ctx)>;

void serve_write(RedisModuleCtx* ctx, std::shared_ptr<SharedCatalog> catalog, WriteApply apply);

// Writes applied after a hand-over, since load (INFO reco_writes_handed_over).
std::uint64_t writes_handed_over();

}  // namespace reco::glue
