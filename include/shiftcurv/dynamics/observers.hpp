// shiftcurv/dynamics/observers.hpp — observers that reduce an ensemble on the fly, so a run
// needs O(particles) memory, not O(particles × steps).
//
//   shiftcurv::histogram_observer hist(-2.0, 2.0, /*bins=*/50);          // coordinate 0
//   shiftcurv::basin_occupancy_observer occ({0.0});                      // basins θ<0, θ≥0
//   shiftcurv::mean_observer losses({[&](const shiftcurv::vector& x) { return U(x); }});
//   auto all = shiftcurv::observe_all(hist, occ, losses);                // several at once
//   auto r = shiftcurv::run_ensemble(stepper, system, init, all, opts);  // ensemble.hpp
//   std::get<1>(r.observer.parts).fraction(/*snapshot=*/0, /*basin=*/1);
//
// An observer is any copyable type with
//   void reset(index snapshots);                 // before use: one accumulator per snapshot time
//   void observe(index snapshot, const State& x);// one particle at one snapshot time
//   void merge(const Observer& other);           // add another's partial sums
// and, to be split over MPI ranks (parallel/mpi/ensemble.hpp) or checkpointed, a member
//   template <class Archive> void serialize(Archive& ar);   // ar(every partial sum)
// that visits its partial sums (io/checkpoint.hpp's byte_writer / byte_reader); the
// observers here have it.
// The ensemble gives every chunk of particles its own copy and merges them in a fixed order.
// Error estimates: `standard_error` is the Monte Carlo standard error of the particle mean,
// √(sample variance / n); for fractions √(p(1−p)/n).  Particles are independent, so these
// are exact standard errors (no autocorrelation correction is needed across particles).
#pragma once

#include <algorithm>
#include <cmath>
#include <functional>
#include <tuple>
#include <utility>
#include <vector>

#include "shiftcurv/core/detail/moments.hpp"
#include "shiftcurv/core/errors.hpp"
#include "shiftcurv/core/types.hpp"

namespace shiftcurv {

/// Counts of one coordinate in equal bins on [lo, hi) per snapshot (plus under/overflow).
class histogram_observer {
 public:
  histogram_observer(double lo, double hi, index bins, index component = 0)
      : lo_(lo), hi_(hi), bins_(bins), component_(component) {
    require_finite("histogram_observer", "lo", lo);
    require_finite("histogram_observer", "hi", hi);
    if (!(lo < hi)) detail::throw_invalid("histogram_observer", "need lo < hi, got ", lo, " and ", hi);
    if (bins < 1) detail::throw_invalid("histogram_observer", "bins must be >= 1, got ", bins);
    if (component < 0) detail::throw_invalid("histogram_observer", "component must be >= 0, got ", component);
  }
  void reset(index snapshots) { counts_.assign(static_cast<std::size_t>(snapshots * (bins_ + 2)), 0); }
  template <class State>
  void observe(index s, const State& x) {
    const double v = x(component_);
    index b = v < lo_ ? 0 : v >= hi_ ? bins_ + 1 : 1 + std::min<index>(bins_ - 1, static_cast<index>((v - lo_) / (hi_ - lo_) * static_cast<double>(bins_)));
    ++counts_[static_cast<std::size_t>(s * (bins_ + 2) + b)];
  }
  template <class Archive>
  void serialize(Archive& ar) { ar(counts_); }
  void merge(const histogram_observer& o) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
  }
  index bins() const { return bins_; }
  double bin_width() const { return (hi_ - lo_) / static_cast<double>(bins_); }
  double bin_centre(index b) const { return lo_ + (static_cast<double>(b) + 0.5) * bin_width(); }
  long count(index s, index b) const { return counts_[static_cast<std::size_t>(s * (bins_ + 2) + 1 + b)]; }
  long underflow(index s) const { return counts_[static_cast<std::size_t>(s * (bins_ + 2))]; }
  long overflow(index s) const { return counts_[static_cast<std::size_t>(s * (bins_ + 2) + bins_ + 1)]; }
  long total(index s) const {
    long n = 0;
    for (index b = 0; b < bins_ + 2; ++b) n += counts_[static_cast<std::size_t>(s * (bins_ + 2) + b)];
    return n;
  }
  /// count / (total · width): a density estimate on [lo, hi).
  double density(index s, index b) const {
    const long n = total(s);
    return n ? static_cast<double>(count(s, b)) / (static_cast<double>(n) * bin_width()) : 0.0;
  }

 private:
  double lo_, hi_;
  index bins_, component_;
  std::vector<long> counts_;
};

/// The fraction of particles in each basin; basins are the intervals between increasing
/// boundary points along one coordinate (K−1 points: K basins), or given by a classifier
/// θ ↦ basin index in [0, K).
class basin_occupancy_observer {
 public:
  explicit basin_occupancy_observer(std::vector<double> boundaries, index component = 0)
      : boundaries_(std::move(boundaries)), component_(component), basins_(static_cast<index>(boundaries_.size()) + 1) {
    for (double b : boundaries_) require_finite("basin_occupancy_observer", "boundary", b);
    if (!std::is_sorted(boundaries_.begin(), boundaries_.end()) ||
        std::adjacent_find(boundaries_.begin(), boundaries_.end()) != boundaries_.end())
      detail::throw_invalid("basin_occupancy_observer", "boundaries must be strictly increasing");
    if (component < 0) detail::throw_invalid("basin_occupancy_observer", "component must be >= 0, got ", component);
  }
  basin_occupancy_observer(std::function<index(const vector&)> classify, index basins)
      : classify_(std::move(classify)), basins_(basins) {
    if (basins < 1) detail::throw_invalid("basin_occupancy_observer", "basins must be >= 1, got ", basins);
  }
  void reset(index snapshots) { counts_.assign(static_cast<std::size_t>(snapshots * basins_), 0); n_.assign(static_cast<std::size_t>(snapshots), 0); }
  template <class State>
  void observe(index s, const State& x) {
    index k;
    if (classify_) {
      k = classify_(vector(x));
      if (k < 0 || k >= basins_)
        detail::throw_invalid("basin_occupancy_observer", "the classifier returned ", k, ", expected 0..", basins_ - 1);
    } else {
      k = basin_of(x(component_));
    }
    ++counts_[static_cast<std::size_t>(s * basins_ + k)];
    ++n_[static_cast<std::size_t>(s)];
  }
  template <class Archive>
  void serialize(Archive& ar) { ar(counts_, n_); }
  void merge(const basin_occupancy_observer& o) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    for (std::size_t i = 0; i < n_.size(); ++i) n_[i] += o.n_[i];
  }
  index basins() const { return basins_; }
  index basin_of(double v) const {
    return static_cast<index>(std::upper_bound(boundaries_.begin(), boundaries_.end(), v) - boundaries_.begin());
  }
  long count(index s, index k) const { return counts_[static_cast<std::size_t>(s * basins_ + k)]; }
  long total(index s) const { return n_[static_cast<std::size_t>(s)]; }
  double fraction(index s, index k) const {
    return total(s) ? static_cast<double>(count(s, k)) / static_cast<double>(total(s)) : 0.0;
  }
  double standard_error(index s, index k) const {
    const double p = fraction(s, k);
    return total(s) ? std::sqrt(p * (1 - p) / static_cast<double>(total(s))) : 0.0;
  }

 private:
  std::vector<double> boundaries_;
  std::function<index(const vector&)> classify_;
  index component_ = 0, basins_ = 1;
  std::vector<long> counts_, n_;
};

/// Means (with standard errors) of scalar functionals of the state, e.g. train and test loss.
class mean_observer {
 public:
  using functional = std::function<double(const vector&)>;
  explicit mean_observer(std::vector<functional> fs) : fs_(std::move(fs)) {
    if (fs_.empty()) detail::throw_invalid("mean_observer", "need at least one functional");
  }
  void reset(index snapshots) { m_.assign(static_cast<std::size_t>(snapshots) * fs_.size(), {}); }
  template <class State>
  void observe(index s, const State& x) {
    const vector v = x;
    for (std::size_t i = 0; i < fs_.size(); ++i) m_[static_cast<std::size_t>(s) * fs_.size() + i].add(fs_[i](v));
  }
  template <class Archive>
  void serialize(Archive& ar) { ar(m_); }
  void merge(const mean_observer& o) {
    for (std::size_t i = 0; i < m_.size(); ++i) m_[i].merge(o.m_[i]);
  }
  index functionals() const { return static_cast<index>(fs_.size()); }
  long count(index s) const { return m_[idx(s, 0)].n; }
  double mean(index s, index i) const { return m_[idx(s, i)].mean; }
  double variance(index s, index i) const { return m_[idx(s, i)].variance(); }
  double standard_error(index s, index i) const { return m_[idx(s, i)].standard_error(); }

 private:
  std::size_t idx(index s, index i) const { return static_cast<std::size_t>(s) * fs_.size() + static_cast<std::size_t>(i); }
  std::vector<functional> fs_;
  std::vector<detail::running_moments> m_;
};

/// Several observers fed the same particles; `parts` is the tuple.
template <class... Obs>
struct observer_set {
  std::tuple<Obs...> parts;
  void reset(index snapshots) {
    std::apply([&](auto&... o) { (o.reset(snapshots), ...); }, parts);
  }
  template <class State>
  void observe(index s, const State& x) {
    std::apply([&](auto&... o) { (o.observe(s, x), ...); }, parts);
  }
  void merge(const observer_set& other) {
    merge_impl(other, std::index_sequence_for<Obs...>{});
  }
  template <class Archive>
  void serialize(Archive& ar) {
    std::apply([&](auto&... o) { (o.serialize(ar), ...); }, parts);
  }

 private:
  template <std::size_t... I>
  void merge_impl(const observer_set& other, std::index_sequence<I...>) {
    (std::get<I>(parts).merge(std::get<I>(other.parts)), ...);
  }
};

template <class... Obs>
observer_set<Obs...> observe_all(Obs... obs) {
  return {std::tuple<Obs...>(std::move(obs)...)};
}

}  // namespace shiftcurv
