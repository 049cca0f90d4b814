// Inputs of the ranking model (see rank_features.hpp).
#include "reco_offline/rank_features.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>

#include "reco_offline/text_input.hpp"
#include "reco_offline/time_split.hpp"

namespace reco_offline {

namespace {

const std::string* find_value(const std::vector<NameValue>& values, const std::string& name) {
  for (const auto& [n, v] : values)
    if (n == name) return &v;
  return nullptr;
}

// The raw values a field reads from an input, per its source.
// Categorical: at most one value; multi: the list.
void raw_values(const RankField& f, const RankInput& in, std::vector<std::string>& out) {
  out.clear();
  if (f.side == "candidate") {
    if (const auto* v = find_value(in.candidate, f.source.substr(10))) out.push_back(*v);
    return;
  }
  if (f.side == "context") {
    if (const auto* v = find_value(in.context, f.name)) out.push_back(*v);
    return;
  }
  const bool user = f.side == "user";
  if (f.source == "id") {
    out.push_back(user ? in.user_key : in.item_id);
    return;
  }
  if (f.source == "terms") {
    const auto& terms = user ? in.user_terms : in.item_terms;
    out.assign(terms.begin(), terms.end());
    return;
  }
  const std::string name = f.source.rfind("feature:", 0) == 0 ? f.source.substr(8) : f.name;
  const auto* v = find_value(user ? in.user_features : in.item_features, name);
  if (!v) return;
  if (f.kind != RankKind::Multi) {
    out.push_back(*v);
    return;
  }
  size_t begin = 0;
  while (true) {
    const size_t bar = v->find('|', begin);
    out.push_back(v->substr(begin, bar == std::string::npos ? std::string::npos : bar - begin));
    if (bar == std::string::npos) break;
    begin = bar + 1;
  }
}

std::unordered_map<std::string, uint32_t> vocab_index(const RankField& f) {
  std::unordered_map<std::string, uint32_t> index;
  for (size_t k = 0; k < f.vocab.size(); ++k) {
    if (!index.emplace(f.vocab[k], static_cast<uint32_t>(k + 1)).second) {
      throw DataError("field " + f.name + ": duplicate vocabulary entry \"" + f.vocab[k] + "\"");
    }
  }
  return index;
}

std::string path_in(const std::string& dir, const char* name) { return (std::filesystem::path(dir) / name).string(); }

Id numeric_id(const std::string& s, const char* what) {
  int64_t v = 0;
  if (!parse_int(s, v) || v < 0 || v > 0xffffffffLL) throw DataError(std::string(what) + " id \"" + s + "\" is not a number");
  return static_cast<Id>(v);
}

// Per-user history ranges of a list sorted by (user, time); equal times keep
// the split's order (train, test, held out), as time_split.hpp sorts.
struct Histories {
  std::vector<Rating> all;
  std::unordered_map<Id, std::pair<size_t, size_t>> range;
};

Histories merge_histories(const RankData& d) {
  Histories h;
  for (const auto* part : {&d.train, &d.test, &d.holdout}) h.all.insert(h.all.end(), part->rows.begin(), part->rows.end());
  sort_by_user_time(h.all);
  size_t b = 0;
  while (b < h.all.size()) {
    size_t e = b;
    while (e < h.all.size() && h.all[e].user == h.all[b].user) ++e;
    h.range[h.all[b].user] = {b, e};
    b = e;
  }
  return h;
}

// Impressions and clicks per genre over the last `window` ratings of the
// user strictly before `moment`, added into out[0..2G).
void window_counts(const Histories& h, Id user, int64_t moment, size_t window,
                   const std::vector<std::vector<uint16_t>>& item_genres, const std::unordered_map<Id, size_t>& item_pos,
                   size_t n_genres, float* out) {
  std::fill(out, out + 2 * n_genres, 0.0f);
  const auto it = h.range.find(user);
  if (it == h.range.end()) return;
  const auto first = h.all.begin() + static_cast<long>(it->second.first);
  const auto last = h.all.begin() + static_cast<long>(it->second.second);
  const auto end = std::lower_bound(first, last, moment, [](const Rating& r, int64_t t) { return r.time < t; });
  const auto begin = end - first > static_cast<long>(window) ? end - static_cast<long>(window) : first;
  for (auto r = begin; r != end; ++r) {
    const auto p = item_pos.find(r->item);
    if (p == item_pos.end()) continue;
    for (uint16_t g : item_genres[p->second]) {
      out[g] += 1;
      if (is_positive(*r)) out[n_genres + g] += 1;
    }
  }
}

std::string format_count(float v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

bool parse_rank_number(const std::string& s, double& out) {
  if (s.empty()) return false;
  const char* b = s.data();
  const char* e = b + s.size();
  if (*b == '+') ++b;
  const auto r = std::from_chars(b, e, out);
  return r.ec == std::errc() && r.ptr == e && std::isfinite(out);
}

RankEncoder::RankEncoder(const RankSchema& schema) : schema_(schema) {
  for (const auto& f : schema.categorical) cat_index_.push_back(vocab_index(f));
  for (const auto& f : schema.multi) multi_index_.push_back(vocab_index(f));
  for (const auto& f : schema.dense) {
    if (!(f.std > 0) || !std::isfinite(f.mean)) throw DataError("field " + f.name + ": std must be > 0");
  }
}

RankRows RankEncoder::empty_rows() const {
  RankRows rows;
  rows.n_cat = schema_.categorical.size();
  rows.n_multi = schema_.multi.size();
  rows.n_dense = schema_.dense.size();
  return rows;
}

void RankEncoder::append(const RankInput& input, float label, RankRows& out) const {
  std::vector<std::string> values;
  for (size_t f = 0; f < schema_.categorical.size(); ++f) {
    raw_values(schema_.categorical[f], input, values);
    uint32_t row = 0;
    if (!values.empty()) {
      const auto it = cat_index_[f].find(values.front());
      if (it != cat_index_[f].end()) row = it->second;
    }
    out.cat.push_back(row);
  }
  for (size_t f = 0; f < schema_.multi.size(); ++f) {
    raw_values(schema_.multi[f], input, values);
    const size_t before = out.multi_rows.size();
    for (const auto& v : values) {
      const auto it = multi_index_[f].find(v);
      if (it != multi_index_[f].end()) out.multi_rows.push_back(it->second);
    }
    if (out.multi_rows.size() == before) out.multi_rows.push_back(0);
    out.multi_offsets.push_back(static_cast<uint32_t>(out.multi_rows.size()));
  }
  for (const auto& f : schema_.dense) {
    raw_values(f, input, values);
    double raw = 0;
    out.dense.push_back(!values.empty() && parse_rank_number(values.front(), raw)
                            ? static_cast<float>((raw - f.mean) / f.std)
                            : 0.0f);
  }
  out.label.push_back(label);
}

std::string genre_impressions_name(const std::string& genre) { return "g_imp_" + genre; }
std::string genre_clicks_name(const std::string& genre) { return "g_clk_" + genre; }

RankData load_rank_data(const std::string& dir, size_t window) {
  if (window == 0) throw DataError("the statistics window must be at least 1 rating");
  RankData d;
  d.window = window;
  d.items = read_items(path_in(dir, "items.tsv"));
  d.users = read_users(path_in(dir, "users.tsv"));
  d.train.rows = read_rating_rows(path_in(dir, "train.tsv"));
  d.test.rows = read_rating_rows(path_in(dir, "test.tsv"));
  d.holdout.rows = read_rating_rows(path_in(dir, "holdout.tsv"));
  if (d.train.rows.empty()) throw DataError(dir + "/train.tsv: no training rows");

  // Genres in the MovieLens order, then any others by name; only those some item has.
  std::set<std::string> present;
  for (const auto& it : d.items) present.insert(it.terms.begin(), it.terms.end());
  for (const auto& g : movielens_genres())
    if (present.count(g)) d.genres.push_back(g);
  for (const auto& g : present)
    if (std::find(d.genres.begin(), d.genres.end(), g) == d.genres.end()) d.genres.push_back(g);
  std::unordered_map<std::string, uint16_t> genre_code;
  for (size_t g = 0; g < d.genres.size(); ++g) genre_code.emplace(d.genres[g], static_cast<uint16_t>(g));

  std::vector<std::vector<uint16_t>> item_genres(d.items.size());
  for (size_t i = 0; i < d.items.size(); ++i) {
    if (!d.item_pos.emplace(numeric_id(d.items[i].id, "item"), i).second) {
      throw DataError(dir + "/items.tsv: duplicate item " + d.items[i].id);
    }
    for (const auto& t : d.items[i].terms) item_genres[i].push_back(genre_code.at(t));
    std::sort(item_genres[i].begin(), item_genres[i].end());
    item_genres[i].erase(std::unique(item_genres[i].begin(), item_genres[i].end()), item_genres[i].end());
  }
  for (size_t u = 0; u < d.users.size(); ++u) {
    if (!d.user_pos.emplace(numeric_id(d.users[u].id, "user"), u).second) {
      throw DataError(dir + "/users.tsv: duplicate user " + d.users[u].id);
    }
  }

  const Histories h = merge_histories(d);
  const size_t w = 2 * d.genres.size();
  for (auto* part : {&d.train, &d.test, &d.holdout}) {
    part->counts.assign(part->rows.size() * w, 0.0f);
    for (size_t r = 0; r < part->rows.size(); ++r) {
      const Rating& x = part->rows[r];
      window_counts(h, x.user, x.time, window, item_genres, d.item_pos, d.genres.size(), &part->counts[r * w]);
    }
  }
  // Online: as of each user's first held-out rating (all of the history if none).
  std::unordered_map<Id, int64_t> start;
  for (const auto& r : d.holdout.rows) {
    const auto [it, inserted] = start.emplace(r.user, r.time);
    if (!inserted) it->second = std::min(it->second, r.time);
  }
  d.online_counts.assign(d.users.size() * w, 0.0f);
  for (size_t u = 0; u < d.users.size(); ++u) {
    const Id id = numeric_id(d.users[u].id, "user");
    const auto s = start.find(id);
    const int64_t moment = s != start.end() ? s->second : std::numeric_limits<int64_t>::max();
    window_counts(h, id, moment, window, item_genres, d.item_pos, d.genres.size(), &d.online_counts[u * w]);
  }
  return d;
}

RankSchema make_rank_schema(const RankData& d, const std::string& user_prefix, int dim, const std::vector<int>& hidden) {
  RankSchema s;
  s.user_prefix = user_prefix;
  s.dim = dim;
  s.hidden = hidden;

  std::set<Id> users, items;
  for (const auto& r : d.train.rows) {
    users.insert(r.user);
    items.insert(r.item);
  }
  RankField user_id{"user_id", "user", RankKind::Categorical, "id", {}, 0, 1};
  for (Id u : users) user_id.vocab.push_back(user_prefix + std::to_string(u));
  RankField item_id{"item_id", "item", RankKind::Categorical, "id", {}, 0, 1};
  for (Id i : items) item_id.vocab.push_back(std::to_string(i));
  s.categorical.push_back(std::move(user_id));
  s.categorical.push_back(std::move(item_id));

  // Demographics: the values of users.tsv, ordered (numbers numerically) so the file is stable.
  for (const char* name : {"gender", "age", "occupation"}) {
    std::set<std::string> values;
    for (const auto& u : d.users)
      if (const auto* v = find_value(u.features, name)) values.insert(*v);
    if (values.empty()) continue;
    std::vector<std::string> vocab(values.begin(), values.end());
    std::stable_sort(vocab.begin(), vocab.end(), [](const std::string& a, const std::string& b) {
      int64_t x = 0, y = 0;
      const bool na = parse_int(a, x), nb = parse_int(b, y);
      if (na && nb) return x < y;
      return na && !nb;
    });
    s.categorical.push_back({name, "user", RankKind::Categorical, std::string("feature:") + name, vocab, 0, 1});
  }
  s.multi.push_back({"genres", "item", RankKind::Multi, "terms", d.genres, 0, 1});

  const size_t G = d.genres.size();
  const size_t n = d.train.rows.size();
  for (size_t k = 0; k < 2 * G; ++k) {
    double sum = 0, sq = 0;
    for (size_t r = 0; r < n; ++r) {
      const double v = d.train.counts[r * 2 * G + k];
      sum += v;
      sq += v * v;
    }
    const double mean = sum / static_cast<double>(n);
    const double var = std::max(0.0, sq / static_cast<double>(n) - mean * mean);
    const double sd = var > 1e-12 ? std::sqrt(var) : 1.0;
    const std::string name = k < G ? genre_impressions_name(d.genres[k]) : genre_clicks_name(d.genres[k - G]);
    // Rounded through float: the file stores what the trainer uses.
    s.dense.push_back({name, "user", RankKind::Dense, "feature:" + name, {}, static_cast<float>(mean),
                       static_cast<float>(sd)});
  }
  return s;
}

RankInput rank_input(const RankData& d, const RankPart& part, size_t r, const std::string& user_prefix) {
  const Rating& x = part.rows.at(r);
  RankInput in;
  in.user_key = user_prefix + std::to_string(x.user);
  in.item_id = std::to_string(x.item);
  if (const auto u = d.user_pos.find(x.user); u != d.user_pos.end()) in.user_features = d.users[u->second].features;
  if (const auto i = d.item_pos.find(x.item); i != d.item_pos.end()) {
    in.item_terms = d.items[i->second].terms;
    in.item_features = d.items[i->second].features;
  }
  const size_t G = d.genres.size();
  for (size_t g = 0; g < G; ++g) {
    in.user_features.emplace_back(genre_impressions_name(d.genres[g]), format_count(part.counts[r * 2 * G + g]));
  }
  for (size_t g = 0; g < G; ++g) {
    in.user_features.emplace_back(genre_clicks_name(d.genres[g]), format_count(part.counts[r * 2 * G + G + g]));
  }
  return in;
}

RankRows encode_part(const RankData& d, const RankPart& part, const RankEncoder& encoder) {
  // Ids, demographics and genres are encoded once per user and per item by the
  // general rules; the per-row statistics are standardized directly, with the
  // same arithmetic as RankEncoder::append.
  const RankSchema& s = encoder.schema();
  std::unordered_map<Id, RankRows> user_cache, item_cache;
  RankRows rows = encoder.empty_rows();
  rows.cat.reserve(part.rows.size() * rows.n_cat);
  rows.dense.reserve(part.rows.size() * rows.n_dense);
  rows.label.reserve(part.rows.size());
  const size_t G = d.genres.size();
  if (s.dense.size() != 2 * G) throw DataError("schema does not match the data's genres");
  for (size_t r = 0; r < part.rows.size(); ++r) {
    const Rating& x = part.rows[r];
    auto u = user_cache.find(x.user);
    if (u == user_cache.end()) {
      RankInput in;
      in.user_key = s.user_prefix + std::to_string(x.user);
      if (const auto p = d.user_pos.find(x.user); p != d.user_pos.end()) in.user_features = d.users[p->second].features;
      RankRows one = encoder.empty_rows();
      encoder.append(in, 0, one);
      u = user_cache.emplace(x.user, std::move(one)).first;
    }
    auto i = item_cache.find(x.item);
    if (i == item_cache.end()) {
      RankInput in;
      in.item_id = std::to_string(x.item);
      if (const auto p = d.item_pos.find(x.item); p != d.item_pos.end()) {
        in.item_terms = d.items[p->second].terms;
        in.item_features = d.items[p->second].features;
      }
      RankRows one = encoder.empty_rows();
      encoder.append(in, 0, one);
      i = item_cache.emplace(x.item, std::move(one)).first;
    }
    for (size_t f = 0; f < s.categorical.size(); ++f) {
      rows.cat.push_back(s.categorical[f].side == "item" ? i->second.cat[f] : u->second.cat[f]);
    }
    for (size_t f = 0; f < s.multi.size(); ++f) {
      const RankRows& src = s.multi[f].side == "item" ? i->second : u->second;
      rows.multi_rows.insert(rows.multi_rows.end(), src.multi_rows.begin() + src.multi_offsets[f],
                             src.multi_rows.begin() + src.multi_offsets[f + 1]);
      rows.multi_offsets.push_back(static_cast<uint32_t>(rows.multi_rows.size()));
    }
    for (size_t k = 0; k < 2 * G; ++k) {
      const double raw = part.counts[r * 2 * G + k];
      rows.dense.push_back(static_cast<float>((raw - s.dense[k].mean) / s.dense[k].std));
    }
    rows.label.push_back(is_positive(x) ? 1.0f : 0.0f);
  }
  return rows;
}

std::vector<UserRecord> users_with_statistics(const RankData& d) {
  std::vector<UserRecord> out = d.users;
  const size_t G = d.genres.size();
  for (size_t u = 0; u < out.size(); ++u) {
    auto& f = out[u].features;
    // Replace rather than duplicate when the input already carries them.
    f.erase(std::remove_if(f.begin(), f.end(),
                           [](const NameValue& nv) {
                             return nv.first.rfind("g_imp_", 0) == 0 || nv.first.rfind("g_clk_", 0) == 0;
                           }),
            f.end());
    for (size_t g = 0; g < G; ++g) f.emplace_back(genre_impressions_name(d.genres[g]), format_count(d.online_counts[u * 2 * G + g]));
    for (size_t g = 0; g < G; ++g) f.emplace_back(genre_clicks_name(d.genres[g]), format_count(d.online_counts[u * 2 * G + G + g]));
  }
  return out;
}

}  // namespace reco_offline
