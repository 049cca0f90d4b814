// reco-show: human-readable answers of the live module for the demo and for
// poking at a loaded catalog: recommendations for users (with why: the recall
// sources from EXPLAIN, and the user's genres an item matched), similar
// titles, and a cold-start session. Ids are turned into titles and genres
// from the prepared items.tsv.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fmt/core.h>
#include <map>
#include <set>
#include <unordered_map>

#include "reco_offline/records.hpp"
#include "reco_offline/redis_client.hpp"
#include "reco_offline/similar_metrics.hpp"
#include "reco_offline/text_input.hpp"

namespace reco_offline::tools::show {

namespace fs = std::filesystem;

namespace {

struct Context {
  std::string dir, host = "127.0.0.1", catalog = "movies", prefix = "user:";
  int port = 6379;
  size_t k = 10;
  std::unordered_map<std::string, ItemRecord> items;
  std::unordered_map<std::string, UserRecord> users;
  std::map<Id, std::vector<std::string>> holdout;

  void load() {
    const auto path = [&](const char* name) { return (fs::path(dir) / name).string(); };
    for (auto& it : read_items(path("items.tsv"))) items.emplace(it.id, std::move(it));
    if (fs::exists(path("users.tsv")))
      for (auto& u : read_users(path("users.tsv"))) users.emplace(u.id, std::move(u));
    if (fs::exists(path("holdout.tsv")))
      for (const auto& r : read_rating_rows(path("holdout.tsv"))) holdout[r.user].push_back(std::to_string(r.item));
  }
};

// Cuts at a character boundary so that UTF-8 titles stay valid.
std::string fit(const std::string& s, size_t width) {
  size_t chars = 0, i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : 4;
    if (chars + 1 > width) break;
    i += len;
    ++chars;
  }
  if (i >= s.size()) return s + std::string(width - chars, ' ');
  return s.substr(0, i > 0 ? i - 1 : 0) + "~" + std::string(width > chars ? width - chars : 0, ' ');
}

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

std::string title_of(const Context& c, const std::string& id) {
  const auto it = c.items.find(id);
  return it == c.items.end() ? "item " + id : it->second.title;
}

std::string genres_of(const Context& c, const std::string& id) {
  const auto it = c.items.find(id);
  return it == c.items.end() ? "" : join(it->second.terms, "|");
}

// Prints the rows of an EXPLAIN reply: ["items", [[id, score, [sources]]...], "stats", [...]].
void print_explained(const Context& c, const Reply& reply, const UserRecord* user,
                     const std::set<std::string>& next_items) {
  if (reply.is_error()) throw std::runtime_error(reply.str);
  const Reply* items = nullptr;
  const Reply* stats = nullptr;
  for (size_t k = 0; k + 1 < reply.elements.size(); k += 2) {
    if (reply.elements[k].str == "items") items = &reply.elements[k + 1];
    if (reply.elements[k].str == "stats") stats = &reply.elements[k + 1];
  }
  if (!items) throw std::runtime_error("unexpected EXPLAIN reply: " + reply.to_string());
  std::map<std::string, float> liked;
  if (user)
    for (const auto& [term, w] : user->terms) liked[term] = w;
  fmt::print("   {:<3} {} {} {:>7}  {}\n", "#", fit("title", 44), fit("genres", 26), "score", "why");
  size_t rank = 0;
  for (const auto& row : items->elements) {
    if (row.elements.size() < 3) continue;
    const std::string& id = row.elements[0].str;
    std::vector<std::string> why;
    for (const auto& s : row.elements[2].elements) {
      if (s.str == "term" && user) {
        // Which of the user's genres this item carries, strongest first.
        std::vector<std::pair<float, std::string>> match;
        const auto it = c.items.find(id);
        if (it != c.items.end())
          for (const auto& g : it->second.terms)
            if (liked.count(g)) match.emplace_back(-liked[g], g);
        std::sort(match.begin(), match.end());
        std::vector<std::string> names;
        for (const auto& m : match) names.push_back(m.second);
        why.push_back(names.empty() ? "term" : "genre " + join(names, "+"));
      } else if (s.str == "vector") {
        why.push_back("taste vector");
      } else if (s.str == "session") {
        why.push_back("like what you browse");
      } else if (s.str == "popular") {
        why.push_back("popular");
      } else {
        why.push_back(s.str);
      }
    }
    const bool hit = next_items.count(id) > 0;
    fmt::print("  {}{:<3} {} {} {:>7.3f}  {}\n", hit ? '*' : ' ', ++rank, fit(title_of(c, id), 44),
               fit(genres_of(c, id), 26), std::atof(row.elements[1].str.c_str()), join(why, ", "));
  }
  if (stats) {
    std::map<std::string, long long> st;
    for (size_t k = 0; k + 1 < stats->elements.size(); k += 2) st[stats->elements[k].str] = stats->elements[k + 1].integer;
    fmt::print("   recalled: vector {}, term {}, session {}, popular {} -> {} candidates{}; {} us in the module\n",
               st["recalled_vector"], st["recalled_term"], st["recalled_session"], st["recalled_popular"],
               st["candidates"], st["cold"] ? " (cold user)" : "", st["total_us"]);
  }
}

void show_user(Context& c, RedisConnection& conn, const std::string& id) {
  const auto u = c.users.find(id);
  const UserRecord* user = u == c.users.end() ? nullptr : &u->second;
  std::string header = "user " + id;
  if (user && !user->features.empty()) {
    std::vector<std::string> f;
    for (const auto& [n, v] : user->features) f.push_back(n + " " + v);
    header += " (" + join(f, ", ") + ")";
  }
  fmt::print("\n{}\n", header);
  if (user) {
    std::vector<std::pair<float, std::string>> t;
    for (const auto& [term, w] : user->terms) t.emplace_back(-w, term);
    std::sort(t.begin(), t.end());
    std::vector<std::string> top;
    for (size_t k = 0; k < std::min<size_t>(4, t.size()); ++k) top.push_back(fmt::format("{} {:.2f}", t[k].second, -t[k].first));
    fmt::print("   likes (point-in-time genre terms): {}\n", top.empty() ? "-" : join(top, ", "));
    std::vector<std::string> last;
    for (size_t k = user->seen.size() > 3 ? user->seen.size() - 3 : 0; k < user->seen.size(); ++k)
      last.push_back(title_of(c, user->seen[k]));
    fmt::print("   seen {} films, lately: {}\n", user->seen.size(), join(last, "; "));
  }
  std::set<std::string> next;
  int64_t uid = 0;
  if (parse_int(id, uid) && c.holdout.count(static_cast<Id>(uid))) {
    const auto& h = c.holdout[static_cast<Id>(uid)];
    next.insert(h.begin(), h.end());
  }
  const Reply r = conn.command({"RECO.RECOMMEND", c.catalog, c.prefix + id, std::to_string(c.k), "EXPLAIN"});
  print_explained(c, r, user, next);
  if (!next.empty()) fmt::print("   (* = among the {} films this user rated next, held out from everything loaded)\n", next.size());
}

std::string find_item(const Context& c, const std::string& query) {
  if (c.items.count(query)) return query;
  std::string q = query;
  std::transform(q.begin(), q.end(), q.begin(), ::tolower);
  const ItemRecord* best = nullptr;
  for (const auto& [id, it] : c.items) {
    std::string t = it.title;
    std::transform(t.begin(), t.end(), t.begin(), ::tolower);
    if (t.find(q) == std::string::npos) continue;
    if (!best || it.popularity > best->popularity || (it.popularity == best->popularity && it.id < best->id)) best = &it;
  }
  if (!best) throw DataError("no item with id or title matching \"" + query + "\"");
  return best->id;
}

void show_similar(Context& c, RedisConnection& conn, const std::string& query) {
  const std::string id = find_item(c, query);
  fmt::print("\nsimilar to {} [{}]\n", title_of(c, id), genres_of(c, id));
  const Reply r = conn.command({"RECO.SIMILAR", c.catalog, id, std::to_string(c.k), "WITHSCORES"});
  if (r.is_error()) throw std::runtime_error(r.str);
  const auto query_genres = c.items.count(id) ? c.items.at(id).terms : std::vector<std::string>{};
  size_t shared = 0;
  for (size_t k = 0; k + 1 < r.elements.size(); k += 2) {
    fmt::print("   {:<3} {} {} {:>7.3f}\n", k / 2 + 1, fit(title_of(c, r.elements[k].str), 44),
               fit(genres_of(c, r.elements[k].str), 26), std::atof(r.elements[k + 1].str.c_str()));
    const auto it = c.items.find(r.elements[k].str);
    if (it != c.items.end() && genre_jaccard(query_genres, it->second.terms) > 0) ++shared;
  }
  fmt::print("   genre overlap: {} of {} share a genre with it\n", shared, r.elements.size() / 2);
}

void show_session(Context& c, RedisConnection& conn, const std::vector<std::string>& queries, const std::string& key) {
  std::vector<std::string> ids;
  for (const auto& q : queries) ids.push_back(find_item(c, q));
  fmt::print("\ncold start: no profile for key {}; browsing now:\n", key);
  for (const auto& id : ids) fmt::print("   - {} [{}]\n", title_of(c, id), genres_of(c, id));
  CommandArgs args;
  args.add("RECO.RECOMMEND").add(c.catalog).add(key).add_int(static_cast<int64_t>(c.k)).add("SESSION").add_int(static_cast<int64_t>(ids.size()));
  for (const auto& id : ids) args.add(id);
  args.add("EXPLAIN");
  print_explained(c, conn.command(args), nullptr, {});
}

}  // namespace

int run(int argc, char** argv) {
  CLI::App app{"reco-show: recommendations, similar titles and cold-start sessions, with titles"};
  Context c;
  c.dir = "data/prepared";
  app.add_option("--prepared,-p", c.dir, "prepared directory (items.tsv, users.tsv, holdout.tsv)")->capture_default_str();
  app.add_option("--host,-H", c.host, "redis host")->capture_default_str();
  app.add_option("--port,-P", c.port, "redis port")->capture_default_str();
  app.add_option("--catalog,-c", c.catalog, "catalog name")->capture_default_str();
  app.add_option("--user-prefix", c.prefix, "user key prefix")->capture_default_str();
  app.add_option("-k,--k", c.k, "how many")->check(CLI::Range(1, 1000))->capture_default_str();
  app.require_subcommand(1);
  std::vector<std::string> user_ids, similar_items, session_items;
  std::string session_key = "user:guest";
  auto* rec = app.add_subcommand("recommend", "recommendations for users, with why");
  rec->add_option("users", user_ids, "user ids")->required();
  auto* sim = app.add_subcommand("similar", "similar titles (id or part of a title)");
  sim->add_option("items", similar_items, "item ids or title fragments")->required();
  auto* ses = app.add_subcommand("session", "cold start: recommendations for a user with no profile browsing items");
  ses->add_option("items", session_items, "item ids or title fragments being browsed")->required();
  ses->add_option("--key", session_key, "user key (should not exist)")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  try {
    c.load();
    RedisConnection conn(c.host, c.port);
    if (rec->parsed())
      for (const auto& u : user_ids) show_user(c, conn, u);
    if (sim->parsed())
      for (const auto& q : similar_items) show_similar(c, conn, q);
    if (ses->parsed()) show_session(c, conn, session_items, session_key);
  } catch (const std::exception& e) {
    fmt::print(stderr, "reco-show: {}\n", e.what());
    return 1;
  }
  return 0;
}

}  // namespace reco_offline::tools::show
