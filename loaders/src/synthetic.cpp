// Synthetic MovieLens-like data (see synthetic.hpp for the model). Each user
// and each item draws from its own random stream, so growing the data set
// (more users) keeps the first users' data unchanged.
#include "reco_offline/synthetic.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "reco_offline/alias_table.hpp"
#include "reco_offline/prng.hpp"

namespace reco_offline {

namespace {

// Movie counts per genre in MovieLens 1M (movies.dat), same order as movielens_genres().
constexpr std::array<double, 18> kGenreFrequency = {503, 283, 105, 251, 1200, 211, 127, 1603, 68,
                                                     44,  343, 114, 106, 471,  276, 492, 143, 68};
// Users per age bucket and per occupation code in users.dat.
constexpr std::array<int, 7> kAgeBuckets = {1, 18, 25, 35, 45, 50, 56};
constexpr std::array<double, 7> kAgeFrequency = {222, 1103, 2096, 1193, 550, 496, 380};
constexpr std::array<double, 21> kOccupationFrequency = {711, 528, 267, 173, 759, 112, 236, 679, 17, 92, 195,
                                                         129, 388, 142, 302, 144, 241, 502, 70,  72, 281};
constexpr double kMaleShare = 4331.0 / 6040.0;
// Cumulative share of 1, 2, 3 and 4 stars among the 1M ratings.
constexpr std::array<double, 4> kStarCumulative = {0.0562, 0.1637, 0.4248, 0.7737};

// Genre indices used for demographic effects.
enum G { Action, Adventure, Animation, Children, Comedy, Crime, Documentary, Drama, Fantasy,
         FilmNoir, Horror, Musical, Mystery, Romance, SciFi, Thriller, War, Western };

constexpr uint64_t kStreamGlobal = 0;
constexpr uint64_t kStreamItem = 1ULL << 40;
constexpr uint64_t kStreamUser = 2ULL << 40;
constexpr uint64_t kStreamRatings = 3ULL << 40;

const char* const kAdjectives[] = {
    "Silent", "Crimson", "Last", "Broken", "Hidden", "Golden", "Midnight", "Wild", "Lost", "Electric",
    "Secret", "Burning", "Distant", "Frozen", "Restless", "Savage", "Little", "Dark", "Bright", "Forgotten",
    "Endless", "Hollow", "Iron", "Velvet", "Quiet", "Lonely", "Crooked", "Sweet", "Bitter", "Final",
    "Blue", "Northern", "Paper", "Glass", "Stolen", "Second", "Wicked", "Perfect", "Strange", "Shining"};
const char* const kNouns[] = {
    "River", "Harbor", "Garden", "Mirror", "Kingdom", "Shadow", "Highway", "Island", "Letter", "Station",
    "Summer", "Winter", "Stranger", "Promise", "Horizon", "Empire", "Voyage", "Orchard", "Frontier", "Signal",
    "Witness", "Storm", "Circus", "Lighthouse", "Detective", "Galaxy", "Melody", "Heart", "Canyon", "Dragon",
    "Planet", "Bridge", "Hotel", "Doctor", "Machine", "Castle", "Desert", "Rebel", "Angel", "Tide",
    "Engine", "Valley", "Crown", "Ghost", "Journey", "Sister", "Brother", "Code", "Game", "Moon"};
const char* const kPlaces[] = {"Paris", "Brooklyn", "the Dark", "Texas", "Winter", "Venice", "the City",
                               "Alaska", "the Rain", "Tokyo", "Havana", "the Woods"};
const char* const kSequels[] = {" II", " III", " IV", ": The Return", ": Part Two"};

template <class T, size_t N>
constexpr size_t count_of(const T (&)[N]) {
  return N;
}

using Vec = std::vector<double>;

Vec random_unit(Rng& rng, int dim) {
  Vec v(dim);
  double norm = 0;
  for (auto& x : v) {
    x = rng.normal();
    norm += x * x;
  }
  norm = std::sqrt(norm);
  for (auto& x : v) x /= norm;
  return v;
}

void add_scaled(Vec& acc, const Vec& v, double a) {
  for (size_t i = 0; i < acc.size(); ++i) acc[i] += a * v[i];
}

void normalize(Vec& v) {
  double n = 0;
  for (double x : v) n += x * x;
  n = std::sqrt(n);
  if (n > 0)
    for (auto& x : v) x /= n;
}

double dot(const Vec& a, const Vec& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

size_t weighted_pick(Rng& rng, const double* w, size_t n) {
  double total = 0;
  for (size_t i = 0; i < n; ++i) total += w[i];
  double x = rng.uniform() * total;
  for (size_t i = 0; i < n; ++i) {
    if (x < w[i]) return i;
    x -= w[i];
  }
  return n - 1;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

std::string make_title(Rng& rng) {
  const auto adj = [&] { return std::string(kAdjectives[rng.below(count_of(kAdjectives))]); };
  const auto noun = [&] { return std::string(kNouns[rng.below(count_of(kNouns))]); };
  std::string t;
  switch (rng.below(6)) {
    case 0: t = "The " + adj() + " " + noun(); break;
    case 1: t = adj() + " " + noun(); break;
    case 2: t = "The " + noun() + " of the " + noun(); break;
    case 3: t = noun() + " in " + kPlaces[rng.below(count_of(kPlaces))]; break;
    case 4: t = "The " + noun(); break;
    default: {
      std::string n = noun();
      const char last = n.back();
      if (last == 's' || last == 'h') n += "es";
      else if (last == 'y' && std::string("aeiou").find(n[n.size() - 2]) == std::string::npos) n.back() = 'i', n += "es";
      else n += "s";
      t = adj() + " " + n;
      break;
    }
  }
  return t;
}

struct PlantedItem {
  Vec q;
  double bias;
  double popularity;
};

struct PlantedUser {
  Vec p;
  Vec drift;
  double bias;
};

}  // namespace

Dataset generate_synthetic(const SyntheticConfig& c, PlantedTruth* truth) {
  if (c.users == 0 || c.items == 0) throw std::invalid_argument("synthetic data needs at least one user and one item");
  if (c.latent_dim < 1) throw std::invalid_argument("latent_dim must be >= 1");
  if (c.last_time <= c.first_time) throw std::invalid_argument("last_time must be after first_time");
  const int L = c.latent_dim;
  const auto& genre_names = movielens_genres();
  const size_t n_genres = genre_names.size();

  Dataset data;
  Rng global(c.seed, kStreamGlobal);
  std::vector<Vec> genre_vec(n_genres);
  for (auto& g : genre_vec) g = random_unit(global, L);

  // Demographic taste offsets, expressed in genre directions.
  const auto genre_mix = [&](std::initializer_list<std::pair<int, double>> parts, double scale) {
    Vec v(L, 0.0);
    for (auto [g, w] : parts) add_scaled(v, genre_vec[g], w);
    normalize(v);
    for (auto& x : v) x *= scale;
    return v;
  };
  const Vec female = genre_mix({{Romance, 1}, {Drama, 1}, {Musical, 1}, {Children, 0.5}, {Action, -1},
                                {War, -0.7}, {SciFi, -0.7}, {Western, -0.5}, {Horror, -0.5}}, 0.35);
  const Vec young = genre_mix({{Animation, 1}, {Children, 0.7}, {Horror, 1}, {Comedy, 0.7}, {SciFi, 0.7},
                               {FilmNoir, -0.7}, {Western, -0.5}}, 0.3);
  const Vec older = genre_mix({{Drama, 1}, {FilmNoir, 1}, {War, 1}, {Western, 0.8}, {Mystery, 0.6},
                               {Horror, -1}, {Animation, -0.6}}, 0.3);

  // ---- items
  std::vector<PlantedItem> planted_items(c.items);
  std::unordered_set<std::string> titles;
  data.items.resize(c.items);
  for (uint32_t i = 0; i < c.items; ++i) {
    Rng rng(c.seed, kStreamItem + i);
    Item& item = data.items[i];
    item.id = i + 1;
    const double r = rng.uniform();
    const size_t k = r < 0.5 ? 1 : r < 0.85 ? 2 : 3;
    std::array<double, 18> w = kGenreFrequency;
    std::vector<size_t> picked;
    for (size_t j = 0; j < k; ++j) {
      const size_t g = weighted_pick(rng, w.data(), n_genres);
      picked.push_back(g);
      w[g] = 0;
    }
    std::sort(picked.begin(), picked.end());
    for (size_t g : picked) item.genres.push_back(genre_names[g]);

    const double age = std::min(81.0, std::floor(-10.0 * std::log(rng.uniform_open0())));
    item.year = 2000 - static_cast<int>(age);

    std::string title = make_title(rng);
    std::string full = title + " (" + std::to_string(item.year) + ")";
    for (size_t s = 0; titles.count(full); ++s) {
      const std::string suffix = s < count_of(kSequels) ? kSequels[s] : " " + std::to_string(s + 2);
      full = title + suffix + " (" + std::to_string(item.year) + ")";
    }
    titles.insert(full);
    item.title = full;

    PlantedItem& pi = planted_items[i];
    pi.q.assign(L, 0.0);
    for (size_t g : picked) add_scaled(pi.q, genre_vec[g], 1.0);
    normalize(pi.q);
    for (auto& x : pi.q) x += rng.normal() * 0.6 / std::sqrt(L);
    // Old films that are still around are the good ones; new ones get the crowds.
    pi.bias = rng.normal() * 0.4 + 0.004 * age;
    const double z = 0.6 * (pi.bias / 0.4) + 0.8 * rng.normal();
    pi.popularity = std::exp(c.popularity_skew * z - 0.03 * age);
  }

  // ---- users
  std::vector<PlantedUser> planted_users(c.users);
  std::vector<double> activity(c.users);
  data.users.resize(c.users);
  for (uint32_t u = 0; u < c.users; ++u) {
    Rng rng(c.seed, kStreamUser + u);
    User& user = data.users[u];
    user.id = u + 1;
    user.gender = rng.uniform() < kMaleShare ? "M" : "F";
    user.age = kAgeBuckets[weighted_pick(rng, kAgeFrequency.data(), kAgeFrequency.size())];
    user.occupation = std::to_string(weighted_pick(rng, kOccupationFrequency.data(), kOccupationFrequency.size()));
    user.zip = std::to_string(10000 + rng.below(90000));

    PlantedUser& pu = planted_users[u];
    pu.p.assign(L, 0.0);
    const size_t favourites = 1 + rng.below(3);
    for (size_t j = 0; j < favourites; ++j) {
      const size_t g = weighted_pick(rng, kGenreFrequency.data(), n_genres);
      add_scaled(pu.p, genre_vec[g], 0.5 + rng.uniform());
    }
    normalize(pu.p);
    for (auto& x : pu.p) x *= 0.8;
    if (user.gender == "F") add_scaled(pu.p, female, 1.0);
    if (user.age <= 18) add_scaled(pu.p, young, 1.0);
    if (user.age >= 45) add_scaled(pu.p, older, 1.0);
    for (auto& x : pu.p) x += rng.normal() * 0.5 / std::sqrt(L);
    pu.drift.assign(L, 0.0);
    for (auto& x : pu.drift) x = rng.normal() * c.taste_drift / std::sqrt(L);
    pu.bias = rng.normal() * 0.45;
    activity[u] = std::exp(1.0 * rng.normal());
  }

  // Ratings per user: lognormal activity scaled so that the total meets the target.
  const uint32_t max_per_user = std::max<uint32_t>(1, std::max(std::min(c.min_ratings_per_user, c.items),
                                                               static_cast<uint32_t>(c.items * 0.6)));
  const uint32_t min_per_user = std::min(c.min_ratings_per_user, max_per_user);
  const auto counts_for = [&](double scale, std::vector<uint32_t>* out) {
    uint64_t total = 0;
    for (uint32_t u = 0; u < c.users; ++u) {
      const double want = std::round(activity[u] * scale);
      const auto n = static_cast<uint32_t>(std::clamp(want, double(min_per_user), double(max_per_user)));
      if (out) (*out)[u] = n;
      total += n;
    }
    return total;
  };
  double lo = 0, hi = 1;
  while (counts_for(hi, nullptr) < c.ratings && hi < 1e12) hi *= 2;
  for (int it = 0; it < 60; ++it) {
    const double mid = 0.5 * (lo + hi);
    (counts_for(mid, nullptr) < c.ratings ? lo : hi) = mid;
  }
  std::vector<uint32_t> per_user(c.users);
  counts_for(hi, &per_user);

  // ---- ratings
  // Popularity drifts: the span is cut into buckets, and in each an item draws with
  // weight base popularity x its trend at that moment. Most items follow a slow trend
  // (log-linear over the span); "new releases" appear at some moment and fade.
  const int64_t span = c.last_time - c.first_time;
  const int buckets = std::max(1, c.time_buckets);
  std::vector<double> trend(c.items), launch(c.items, -1.0);
  for (uint32_t i = 0; i < c.items; ++i) {
    Rng rng(c.seed, kStreamItem + (1ULL << 32) + i);
    trend[i] = rng.normal() * c.popularity_drift;
    if (rng.uniform() < c.new_release_share) launch[i] = rng.uniform() * 0.9;  // as a fraction of the span
  }
  const auto weight_at = [&](uint32_t i, double tau) {
    double w = planted_items[i].popularity * std::exp(trend[i] * (tau - 0.5));
    if (launch[i] >= 0) {
      if (tau < launch[i]) return 1e-3 * w;
      w *= 3.0 * std::exp2(-(tau - launch[i]) / c.release_halflife);
    }
    return w;
  };
  // Per genre: its items ("I feel like a comedy tonight").
  std::vector<std::vector<uint32_t>> genre_items(n_genres);
  {
    std::unordered_map<std::string, size_t> code;
    for (size_t g = 0; g < n_genres; ++g) code.emplace(genre_names[g], g);
    for (uint32_t i = 0; i < c.items; ++i)
      for (const auto& name : data.items[i].genres) genre_items[code.at(name)].push_back(i);
  }
  std::vector<AliasTable> by_popularity(buckets);
  std::vector<std::vector<AliasTable>> genre_popularity(buckets, std::vector<AliasTable>(n_genres));
  // Niche picks still lean towards what is around, only less: square-root weights.
  std::vector<std::vector<AliasTable>> genre_niche(buckets, std::vector<AliasTable>(n_genres));
  for (int b = 0; b < buckets; ++b) {
    const double tau = (b + 0.5) / buckets;
    std::vector<double> w(c.items);
    for (uint32_t i = 0; i < c.items; ++i) w[i] = weight_at(i, tau);
    by_popularity[b] = AliasTable(w);
    for (size_t g = 0; g < n_genres; ++g) {
      if (genre_items[g].empty()) continue;
      std::vector<double> gw, nw;
      for (uint32_t i : genre_items[g]) {
        gw.push_back(w[i]);
        nw.push_back(std::pow(w[i], c.niche_exponent));
      }
      genre_popularity[b][g] = AliasTable(gw);
      genre_niche[b][g] = AliasTable(nw);
    }
  }

  std::vector<float> latent;
  std::vector<char> taken(c.items, 0);
  std::vector<uint32_t> chosen;
  Vec taste(L);
  for (uint32_t u = 0; u < c.users; ++u) {
    Rng rng(c.seed, kStreamRatings + u);
    const PlantedUser& pu = planted_users[u];
    const uint32_t want = per_user[u];
    // How much this user goes with the crowd: mainstream users pick what is popular,
    // niche users dig through their genres (as on MovieLens, where a popularity list
    // serves some users very well and others not at all).
    const double mainstream = sigmoid(c.mainstream_spread * rng.normal() + c.mainstream_mean);
    const double popular_share = std::min(1.0 - c.uniform_share, 2.0 * c.popular_share * mainstream);

    // The timeline first: sessions of quick ratings separated by days; the whole
    // history fits in the span and starts early more often than late (front-loaded
    // sign-ups). What is popular at each rating's moment then decides what is at hand.
    std::vector<int64_t> offset(want, 0);
    for (size_t pos = 1; pos < want; ++pos) {
      const double gap = rng.uniform() < 1.0 / 40.0 ? -5.0 * 86400.0 * std::log(rng.uniform_open0())
                                                    : -25.0 * std::log(rng.uniform_open0());
      offset[pos] = offset[pos - 1] + static_cast<int64_t>(gap);
    }
    const int64_t duration = offset.empty() ? 0 : offset.back();
    if (duration > span) {
      for (auto& o : offset) o = static_cast<int64_t>(static_cast<double>(o) * span / duration);
    }
    const int64_t room = span - std::min(duration, span);
    const int64_t start = c.first_time + static_cast<int64_t>(room * std::pow(rng.uniform(), 4.0));

    // The user's appetite per genre: taste towards the genre, tempered by how common it is.
    std::array<double, 18> appetite{};
    for (size_t g = 0; g < n_genres; ++g) {
      appetite[g] = genre_items[g].empty() ? 0.0
                                           : std::sqrt(kGenreFrequency[g]) * std::exp(c.taste_selection * dot(pu.p, genre_vec[g]));
    }
    chosen.clear();
    const double n = static_cast<double>(want);
    for (uint32_t pos = 0; pos < want; ++pos) {
      const int64_t t = start + offset[pos];
      const double tau = span > 0 ? static_cast<double>(t - c.first_time) / static_cast<double>(span) : 0.0;
      const int b = std::min(buckets - 1, static_cast<int>(tau * buckets));
      const double f = n > 1 ? pos / (n - 1) - 0.5 : 0.0;
      for (int d = 0; d < L; ++d) taste[d] = pu.p[d] + f * pu.drift[d];
      uint64_t attempts = 0;
      for (;;) {
        const bool relaxed = attempts++ >= 200;  // taste-blind fill for extreme users
        const double route = rng.uniform();
        uint32_t i;
        if (relaxed || route < c.uniform_share) {
          i = static_cast<uint32_t>(rng.below(c.items));
        } else if (route < c.uniform_share + popular_share) {
          i = by_popularity[b].draw(rng);
        } else {
          const size_t g = weighted_pick(rng, appetite.data(), n_genres);
          i = rng.uniform() < mainstream ? genre_items[g][genre_popularity[b][g].draw(rng)]
                                         : genre_items[g][genre_niche[b][g].draw(rng)];
        }
        if (taken[i]) continue;
        if (!relaxed && !rng.bernoulli(sigmoid(c.taste_acceptance * dot(taste, planted_items[i].q) - 0.5))) continue;
        taken[i] = 1;
        chosen.push_back(i);
        break;
      }
      const uint32_t i = chosen.back();
      const double affinity = dot(taste, planted_items[i].q);
      const double score = pu.bias + planted_items[i].bias + 1.2 * affinity + c.rating_noise * rng.normal();
      latent.push_back(static_cast<float>(score));
      data.ratings.push_back(Rating{u + 1, i + 1, t, 0.0f});
    }
    for (uint32_t i : chosen) taken[i] = 0;
  }

  // Stars: cut the latent scores at the quantiles of the 1M star distribution.
  if (truth) {
    truth->user_taste.clear();
    truth->user_bias.clear();
    for (const auto& pu : planted_users) {
      truth->user_taste.push_back(pu.p);
      truth->user_bias.push_back(pu.bias);
    }
    truth->item_vector.clear();
    truth->item_bias.clear();
    truth->item_popularity.clear();
    for (const auto& pi : planted_items) {
      truth->item_vector.push_back(pi.q);
      truth->item_bias.push_back(pi.bias);
      truth->item_popularity.push_back(pi.popularity);
    }
  }
  if (latent.empty()) return data;
  std::vector<float> sorted = latent;
  std::array<float, 4> cut{};
  for (size_t k = 0; k < cut.size(); ++k) {
    const size_t at = std::min(sorted.size() - 1, static_cast<size_t>(kStarCumulative[k] * sorted.size()));
    std::nth_element(sorted.begin(), sorted.begin() + at, sorted.end());
    cut[k] = sorted[at];
  }
  for (size_t r = 0; r < latent.size(); ++r) {
    int stars = 1;
    while (stars <= 4 && latent[r] >= cut[stars - 1]) ++stars;
    data.ratings[r].rating = static_cast<float>(stars);
  }
  return data;
}

}  // namespace reco_offline
