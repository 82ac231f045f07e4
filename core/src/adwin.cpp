#include "retrain/core/adwin.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace retrain::core {

adwin::adwin(adwin_params params) : params_(params) {
  if (params_.clock == 0)
    params_.clock = 1;
  // With a single bucket per size a merge empties a level, which River does
  // not handle (its window breaks); two is the least that works.
  if (params_.max_buckets < 2)
    params_.max_buckets = 2;
  reset();
}

void adwin::reset() {
  samples_ = 0;
  total_ = 0.0;
  variance_ = 0.0;
  width_ = 0.0;
  tick_ = 0;
  // Keeps the allocations: the next window will need them again.
  counts_.clear();
  totals_.clear();
  variances_.clear();
  add_level();
  drift_ = false;
  last_ = detection{};
}

std::string_view adwin::name() const noexcept {
  return "adwin";
}

std::size_t adwin::memory_bound() const noexcept {
  return sizeof(*this)
         + max_levels * (sizeof(uint32_t) + 2 * slots() * sizeof(double));
}

std::size_t adwin::memory_used() const noexcept {
  return sizeof(*this) + counts_.capacity() * sizeof(uint32_t)
         + (totals_.capacity() + variances_.capacity()) * sizeof(double);
}

bool adwin::consistent() const noexcept {
  if (counts_.empty() || counts_.size() > max_levels
      || totals_.size() != counts_.size() * slots()
      || variances_.size() != totals_.size())
    return false;
  double width = 0.0;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    if (counts_[i] > params_.max_buckets
        || (i > 0 && i + 1 == counts_.size() && counts_[i] == 0))
      return false;
    width += std::ldexp(static_cast<double>(counts_[i]), static_cast<int>(i));
  }
  return width == width_;
}

void adwin::add_level() {
  // Grows by doubling but never past `max_levels`, so `memory_bound` holds.
  auto levels = counts_.size() + 1;
  if (counts_.capacity() < levels || totals_.capacity() < levels * slots()
      || variances_.capacity() < levels * slots()) {
    auto target = std::min(max_levels,
                           std::max<std::size_t>(4, 2 * counts_.size()));
    counts_.reserve(target);
    totals_.reserve(target * slots());
    variances_.reserve(target * slots());
  }
  counts_.push_back(0);
  totals_.resize(totals_.size() + slots(), 0.0);
  variances_.resize(variances_.size() + slots(), 0.0);
}

detection adwin::update(double x) {
  if (drift_)
    reset();
  ++samples_;
  detection result;
  insert(x);
  drift_ = detect_change(result);
  result.breach = drift_;
  return report(result, drift_, false);
}

void adwin::insert(double value) {
  auto& n = counts_[0];
  totals_[n] = value;
  variances_[n] = 0.0;
  ++n;
  width_ += 1.0;
  double incremental_variance = 0.0;
  if (width_ > 1.0) {
    // Same expression as River's, term for term.
    incremental_variance = (width_ - 1.0) * (value - total_ / (width_ - 1.0))
                           * (value - total_ / (width_ - 1.0)) / width_;
  }
  variance_ += incremental_variance;
  total_ += value;
  compress();
}

void adwin::compress() {
  // Merges the two oldest buckets of a full level into one bucket of the next
  // level, cascading while that level overflows in turn.
  for (std::size_t level = 0; level < counts_.size(); ++level) {
    if (counts_[level] != params_.max_buckets + 1)
      return;
    if (level + 1 == counts_.size()) {
      if (counts_.size() == max_levels)
        return; // unreachable: it would take 2^64 values
      add_level();
    }
    auto at = level * slots();
    auto n1 = std::ldexp(1.0, static_cast<int>(level));
    auto mu1 = totals_[at] / n1;
    auto mu2 = totals_[at + 1] / n1;
    auto total12 = totals_[at] + totals_[at + 1];
    auto temp = n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2);
    auto v12 = variances_[at] + variances_[at + 1] + temp;
    auto next = (level + 1) * slots() + counts_[level + 1];
    totals_[next] = total12;
    variances_[next] = v12;
    ++counts_[level + 1];
    auto remaining = counts_[level] - 2;
    std::copy_n(totals_.begin() + at + 2, remaining, totals_.begin() + at);
    std::copy_n(variances_.begin() + at + 2, remaining,
                variances_.begin() + at);
    counts_[level] = remaining;
    if (counts_[level + 1] <= params_.max_buckets)
      return;
  }
}

double adwin::delete_oldest() {
  auto level = counts_.size() - 1;
  auto at = level * slots();
  auto n = std::ldexp(1.0, static_cast<int>(level));
  auto u = totals_[at];
  auto mu = u / n;
  auto v = variances_[at];
  width_ -= n;
  total_ -= u;
  auto mu_window = total_ / width_;
  auto incremental_variance
    = v + n * width_ * (mu - mu_window) * (mu - mu_window) / (n + width_);
  variance_ -= incremental_variance;
  auto remaining = counts_[level] - 1;
  std::copy_n(totals_.begin() + at + 1, remaining, totals_.begin() + at);
  std::copy_n(variances_.begin() + at + 1, remaining, variances_.begin() + at);
  counts_[level] = remaining;
  // River drops the emptied largest level; level 0 always stays.
  if (remaining == 0 && level > 0) {
    counts_.pop_back();
    totals_.resize(totals_.size() - slots());
    variances_.resize(variances_.size() - slots());
  }
  return n;
}

bool adwin::detect_change(detection& result) {
  bool change_detected = false;
  ++tick_;
  if (tick_ % params_.clock != 0
      || !(width_ > static_cast<double>(params_.grace_period)))
    return false;
  auto min_length = static_cast<double>(params_.min_window_length);
  bool reduce_width = true;
  while (reduce_width) {
    reduce_width = false;
    bool exit_flag = false;
    // Cut the window into W0 (older part, growing) and W1 (newer part).
    // River also carries the variances of W0 and W1 along here; they take no
    // part in the decision, so they are left out.
    double n0 = 0.0;
    double n1 = width_;
    double u0 = 0.0;
    double u1 = total_;
    for (auto level = counts_.size(); level-- > 0 && !exit_flag;) {
      auto at = level * slots();
      auto bucket_size = std::ldexp(1.0, static_cast<int>(level));
      for (uint32_t k = 0; k < counts_[level]; ++k) {
        n0 += bucket_size;
        n1 -= bucket_size;
        u0 += totals_[at + k];
        u1 -= totals_[at + k];
        if (level == 0 && k == counts_[level] - 1) {
          exit_flag = true;
          break;
        }
        auto delta_mean = (u0 / n0) - (u1 / n1);
        if (n1 >= min_length && n0 >= min_length) {
          auto delta_prime = std::log(2 * std::log(width_) / params_.delta);
          auto m_recip = (1.0 / (n0 - min_length + 1))
                         + (1.0 / (n1 - min_length + 1));
          auto epsilon
            = std::sqrt(2 * m_recip * (variance_ / width_) * delta_prime)
              + 2.0 / 3.0 * delta_prime * m_recip;
          if (std::fabs(delta_mean) > epsilon) {
            if (!change_detected) {
              result.statistic = std::fabs(delta_mean);
              result.threshold = epsilon;
            }
            reduce_width = true;
            change_detected = true;
            if (width_ > 0) {
              n0 -= delete_oldest();
              exit_flag = true;
              break;
            }
          }
        }
      }
    }
  }
  return change_detected;
}

expected<std::unique_ptr<strategy>> make_adwin(const param_map& params) {
  param_reader in{"adwin", params};
  adwin_params p;
  p.delta = in.real_above("delta", p.delta, 0.0, 1.0);
  p.clock = in.integer("clock", p.clock, 1, 1'000'000'000);
  p.max_buckets
    = static_cast<uint32_t>(in.integer("max_buckets", p.max_buckets, 2, 1000));
  p.min_window_length = in.integer("min_window_length", p.min_window_length, 1,
                                   1'000'000'000);
  p.grace_period = in.integer("grace_period", p.grace_period, 0, 1'000'000'000);
  if (auto err = in.finish(find_strategy("adwin")->params))
    return err;
  return std::unique_ptr<strategy>{new adwin(p)};
}

} // namespace retrain::core
