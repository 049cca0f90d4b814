// reco-eval similar: judges item-to-item lists through the live module. For every item
// with a vector it asks for its neighbours (pipelined round trips) in three ways:
//   RECO.SIMILAR                    what the catalog serves (cosine over the non-bias
//                                   dimensions when BIAS_DIM is set);
//   RECO.KNN with the item's vector what RECO.SIMILAR did before BIAS_DIM: the inner
//                                   product with the bias included (itself EXCLUDEd);
//   RECO.KNN, bias zeroed           the inner product over the taste dimensions only
//                                   (no length normalisation), when the catalog has a bias;
// and compares them with a popularity list (items.tsv's popularity, the query excluded):
// next-item hit rate@K of each held-out user's last item before the held-out part, genre
// overlap of the neighbours, coverage (similar_metrics.hpp). It also computes the exact
// cosine lists offline from the vectors the module returns (RECO.ITEM.GET) and reports the
// recall@K of RECO.SIMILAR against them: about 1 on an exact catalog, the graph's
// approximation otherwise. Kept apart from reco_eval.cpp (which dispatches `similar` here).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fmt/core.h>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reco_offline/offline_rankers.hpp"
#include "reco_offline/records.hpp"
#include "reco_offline/redis_client.hpp"
#include "reco_offline/similar_metrics.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline::tools::eval_similar {

namespace fs = std::filesystem;

namespace {

using Lists = std::unordered_map<std::string, std::vector<std::string>>;

struct Row {
  std::string name;
  Lists lists;
  std::string note;
};

std::string info_field(const Reply& info, const std::string& name) {
  for (size_t i = 0; i + 1 < info.elements.size(); i += 2)
    if (info.elements[i].str == name) {
      const Reply& v = info.elements[i + 1];
      return v.type == Reply::Type::Integer ? std::to_string(v.integer) : v.str;
    }
  return "";
}

std::vector<std::string> strings_of(const Reply& r) {
  std::vector<std::string> out;
  for (const auto& e : r.elements) out.push_back(e.str);
  return out;
}

// Runs one neighbour query per item; `build` fills the command for item `id`.
void fetch_lists(RedisConnection& conn, size_t window, const std::vector<std::string>& queries, Row& row,
                 const std::function<void(CommandArgs&, const std::string&)>& build) {
  const auto t0 = std::chrono::steady_clock::now();
  size_t errors = 0;
  std::string first_error;
  Pipeline pipeline(conn, window, [&](uint64_t tag, const Reply& reply) {
    if (reply.is_error()) {
      if (errors++ == 0) first_error = reply.str;
      return;
    }
    row.lists[queries[tag]] = strings_of(reply);
  });
  CommandArgs args;
  for (size_t i = 0; i < queries.size(); ++i) {
    args.clear();
    build(args, queries[i]);
    pipeline.send(args, i);
  }
  pipeline.drain();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  row.note = errors ? fmt::format("{} errors, first: {}", errors, first_error)
                    : fmt::format("{:.0f} queries/s", queries.size() / std::max(s, 1e-9));
}

// Cosine over every dimension but `bias` (none: bias >= dim).
double cosine(const std::vector<float>& a, const std::vector<float>& b, size_t bias) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i == bias) continue;
    ab += double(a[i]) * b[i];
    aa += double(a[i]) * a[i];
    bb += double(b[i]) * b[i];
  }
  return aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 0.0;
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"reco-eval similar: item-to-item lists (RECO.SIMILAR) vs the old inner product and popularity"};
  std::string dir = "data/prepared", host = "127.0.0.1", catalog = "movies", json_path;
  int port = 6379;
  size_t k = 10, fetch = 100, window = 256, show = 0, exact_queries = 1000, ef = 0;
  app.add_option("--prepared,-p", dir, "prepared directory (items.tsv, train.tsv, test.tsv, holdout.tsv)")
      ->capture_default_str();
  app.add_option("--host,-H", host, "redis host")->capture_default_str();
  app.add_option("--port,-P", port, "redis port")->capture_default_str();
  app.add_option("--catalog,-c", catalog, "catalog name")->capture_default_str();
  app.add_option("-k,--k", k, "list length judged")->check(CLI::Range(1, 1000))->capture_default_str();
  app.add_option("--fetch", fetch, "neighbours asked for (the unseen hit rate reads past seen items)")
      ->check(CLI::Range(1, 10000))->capture_default_str();
  app.add_option("--window", window, "queries in flight")->capture_default_str();
  app.add_option("--exact-queries", exact_queries, "queries of the exact cosine reference (recall of RECO.SIMILAR)")
      ->capture_default_str();
  app.add_option("--ef", ef, "EF of the RECO.SIMILAR queries (graph catalogs; 0: the catalog's)")
      ->check(CLI::Range(0, 100000))->capture_default_str();
  std::vector<std::string> show_items;
  app.add_option("--show", show, "print the lists of the N most popular items, served vs the old inner product");
  app.add_option("--show-item", show_items, "also print the lists of these item ids");
  app.add_option("--json", json_path, "also write the table as JSON to this file");
  CLI11_PARSE(app, argc, argv);
  fetch = std::max(fetch, k);

  const auto path = [&](const char* name) { return (fs::path(dir) / name).string(); };
  try {
    const std::vector<ItemRecord> items = read_items(path("items.tsv"));
    std::vector<Rating> before = read_rating_rows(path("train.tsv"));
    const std::vector<Rating> test = read_rating_rows(path("test.tsv"));
    before.insert(before.end(), test.begin(), test.end());
    const std::vector<NextItemCase> cases = next_item_cases(before, read_rating_rows(path("holdout.tsv")));
    if (cases.empty()) throw DataError(path("holdout.tsv") + ": no held-out users with earlier ratings");
    std::unordered_map<std::string, std::vector<std::string>> genres;
    std::unordered_map<std::string, const ItemRecord*> record;
    for (const auto& it : items) {
      genres[it.id] = it.terms;
      record[it.id] = &it;
    }

    RedisConnection conn(host, port);
    const Reply info = conn.command({"RECO.CATALOG.INFO", catalog});
    if (info.is_error()) throw DataError("RECO.CATALOG.INFO " + catalog + ": " + info.str);
    const size_t dim = std::stoul(info_field(info, "dim"));
    const std::string bias_text = info_field(info, "bias_dim");
    const bool has_bias = !bias_text.empty() && bias_text != "NONE";
    const size_t bias = has_bias ? std::stoul(bias_text) : dim;

    // The stored vectors, through the module.
    std::unordered_map<std::string, std::vector<float>> vectors;
    {
      Pipeline pipeline(conn, window, [&](uint64_t tag, const Reply& r) {
        if (r.is_error() || r.elements.size() < 2 || r.elements[1].type != Reply::Type::Array) return;
        std::vector<float> v;
        for (const auto& e : r.elements[1].elements) v.push_back(std::strtof(e.str.c_str(), nullptr));
        if (v.size() == dim) vectors[items[tag].id] = std::move(v);
      });
      CommandArgs args;
      for (size_t i = 0; i < items.size(); ++i) {
        args.clear();
        args.add("RECO.ITEM.GET").add(catalog).add(items[i].id);
        pipeline.send(args, i);
      }
      pipeline.drain();
    }
    if (vectors.empty()) throw DataError("catalog " + catalog + " holds no vectors for the items of items.tsv");
    std::vector<std::string> queries;
    for (const auto& it : items)
      if (vectors.count(it.id)) queries.push_back(it.id);

    std::vector<Row> rows;
    rows.reserve(5);
    rows.push_back({"RECO.SIMILAR (served)", {}, {}});
    fetch_lists(conn, window, queries, rows.back(), [&](CommandArgs& a, const std::string& id) {
      a.add("RECO.SIMILAR").add(catalog).add(id).add_int(static_cast<int64_t>(fetch));
      if (ef) a.add("EF").add_int(static_cast<int64_t>(ef));
    });
    if (ef) rows.back().name += fmt::format(" EF {}", ef);
    const auto knn = [&](CommandArgs& a, const std::string& id, bool zero_bias) {
      std::vector<float> v = vectors[id];
      if (zero_bias) v[bias] = 0.0f;
      a.add("RECO.KNN").add(catalog).add_int(static_cast<int64_t>(fetch)).add("FP32").add_fp32(v.data(), v.size());
      a.add("EXCLUDE").add("1").add(id);
    };
    rows.push_back({"inner product with bias (old SIMILAR)", {}, {}});
    fetch_lists(conn, window, queries, rows.back(), [&](CommandArgs& a, const std::string& id) { knn(a, id, false); });
    if (has_bias) {
      rows.push_back({"inner product, bias zeroed", {}, {}});
      fetch_lists(conn, window, queries, rows.back(), [&](CommandArgs& a, const std::string& id) { knn(a, id, true); });
    }
    {
      rows.push_back({"popularity", {}, "offline, items.tsv"});
      const PopularityRanker pop(items);
      const std::vector<std::string> head = pop.top(fetch + 1, {});
      for (const auto& q : queries) {
        std::vector<std::string>& l = rows.back().lists[q];
        for (const auto& id : head)
          if (id != q && l.size() < fetch) l.push_back(id);
      }
    }

    // Exact cosine lists (offline, from the module's vectors) for the recall of RECO.SIMILAR.
    Lists exact;
    {
      std::vector<std::string> sample = queries;
      if (sample.size() > exact_queries) {
        std::vector<std::string> every;
        const size_t step = (sample.size() + exact_queries - 1) / exact_queries;
        for (size_t i = 0; i < sample.size(); i += step) every.push_back(sample[i]);
        sample.swap(every);
      }
      for (const auto& q : sample) {
        std::vector<std::pair<double, const std::string*>> scored;
        for (const auto& id : queries)
          if (id != q) scored.push_back({cosine(vectors[q], vectors[id], bias), &id});
        const size_t keep = std::min(k, scored.size());
        std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(keep), scored.end(),
                          [](const auto& a, const auto& b) { return a.first > b.first; });
        for (size_t i = 0; i < keep; ++i) exact[q].push_back(*scored[i].second);
      }
    }

    fmt::print("item-to-item on catalog {} ({} items with vectors, dim {}, metric {}, bias_dim {}, index search {}):\n",
               catalog, queries.size(), dim, info_field(info, "metric"), has_bias ? bias_text : "NONE",
               info_field(info, "index_search"));
    fmt::print("{} held-out users; the list of each user's last item before the held-out part; K = {}\n",
               cases.size(), k);
    fmt::print("{:<40} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}  {}\n", "method", "HR@K", "next@K", "unseen",
               "genreJ", "genre>0", "cover", "top10", "");
    nlohmann::json out = nlohmann::json::array();
    double similar_hr = 0, pop_hr = 0;
    for (const Row& row : rows) {
      const NextItemStats n = next_item_hits(
          cases,
          [&](const std::string& id) -> const std::vector<std::string>* {
            auto it = row.lists.find(id);
            return it == row.lists.end() ? nullptr : &it->second;
          },
          k);
      const ListStats l = list_stats(row.lists, genres, k, queries.size());
      fmt::print("{:<40} {:>8.4f} {:>8.4f} {:>8.4f} {:>8.4f} {:>8.4f} {:>8.4f} {:>8.4f}  {} distinct; {}\n", row.name,
                 n.hit_rate, n.next_hit_rate, n.unseen_hit_rate, l.genre_jaccard, l.share_a_genre, l.coverage,
                 l.top10_share, l.distinct, row.note);
      if (&row == &rows.front()) similar_hr = n.hit_rate;
      if (row.name == "popularity") pop_hr = n.hit_rate;
      out.push_back({{"method", row.name}, {"users", n.users}, {"hit_rate", n.hit_rate},
                     {"next_hit_rate", n.next_hit_rate}, {"unseen_hit_rate", n.unseen_hit_rate},
                     {"genre_jaccard", l.genre_jaccard}, {"share_a_genre", l.share_a_genre},
                     {"distinct", l.distinct}, {"coverage", l.coverage}, {"top10_share", l.top10_share},
                     {"note", row.note}});
    }
    const double recall = list_recall(rows.front().lists, exact, k);
    fmt::print("RECO.SIMILAR vs popularity, HR@{}: {:.2f}x; recall@{} of RECO.SIMILAR against an exact cosine scan "
               "over the non-bias dimensions ({} queries): {:.4f}\n",
               k, pop_hr > 0 ? similar_hr / pop_hr : 0.0, k, exact.size(), recall);
    fmt::print("(HR@K: a held-out item among the first K; next@K: the first held-out item; unseen: first K not seen "
               "before; genreJ: mean genre Jaccard query/neighbour; genre>0: neighbours sharing a genre; cover: "
               "distinct listed items / items; top10: list slots taken by the 10 most listed items)\n");

    if (show || !show_items.empty()) {
      const PopularityRanker pop(items);
      const auto title = [&](const std::string& id) {
        auto it = record.find(id);
        return it == record.end() ? id : it->second->title;
      };
      const auto genre_text = [&](const std::string& id) {
        std::string s;
        for (const auto& g : genres[id]) s += (s.empty() ? "" : "|") + g;
        return s;
      };
      std::vector<std::string> shown = pop.top(show, {});
      shown.insert(shown.end(), show_items.begin(), show_items.end());
      for (const auto& q : shown) {
        if (!rows.front().lists.count(q)) {
          fmt::print(stderr, "reco-eval similar: no item {} with a vector\n", q);
          continue;
        }
        fmt::print("\n{} [{}]\n", title(q), genre_text(q));
        for (size_t r = 0; r < 2 && r < rows.size(); ++r) {
          const auto& l = rows[r].lists[q];
          size_t shared = 0;
          for (size_t i = 0; i < l.size() && i < k; ++i) shared += genre_jaccard(genres[q], genres[l[i]]) > 0;
          fmt::print("  {} ({} of {} share a genre):\n", rows[r].name, shared, std::min(k, l.size()));
          for (size_t i = 0; i < l.size() && i < std::min<size_t>(k, 5); ++i)
            fmt::print("    {:<2} {} [{}]\n", i + 1, title(l[i]), genre_text(l[i]));
        }
      }
    }
    if (!json_path.empty())
      std::ofstream(json_path) << nlohmann::json{{"k", k}, {"rows", out}, {"similar_recall", recall}}.dump(2) << "\n";
  } catch (const RedisError& e) {
    fmt::print(stderr, "reco-eval similar: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "reco-eval similar: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace reco_offline::tools::eval_similar
