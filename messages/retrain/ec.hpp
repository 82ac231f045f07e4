#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>

#include "retrain/core/errc.hpp"
#include "retrain/core/expected.hpp"

namespace retrain {

/// Error codes of the retrain protocol, carried in `caf::error` with the
/// category `retrain`; the context says what exactly went wrong. The numbers
/// travel between nodes: new codes are only ever appended.
enum class ec : uint8_t {
  /// Not an error.
  none = 0,
  /// A model id is not `<project>:<name>:<semver>`.
  invalid_model_id,
  /// A metric kind is unknown.
  invalid_metric_kind,
  /// A value is malformed or out of range: a metric value for its kind, a
  /// number, a version, a field of an event.
  invalid_value,
  /// Events for this model are refused after too many monitor crashes.
  quarantined,
  /// No job with this id.
  no_such_job,
  /// A model line is malformed.
  invalid_model_line,
  /// The database refused a read or write, or an input could not be read.
  storage_failure,
  /// A configuration value is out of range or unknown.
  invalid_config,
  /// A peer did not answer or could not be reached.
  unreachable,
  /// The node is shutting down and takes nothing new; send elsewhere or
  /// again later.
  draining,
  /// The node watches as many models as `retrain.monitor.max-models`
  /// allows: events of new model ids are refused.
  too_many_models,
  /// No policy is stored for that pattern (or it was removed).
  no_such_policy,
  /// This coordinator is a standby: another coordinator on its database
  /// holds the lease and is the active one.
  standby,
  /// An idempotency key came with another batch than the one it was first
  /// given with.
  idempotency_conflict,
};

/// Returns the name of `x`, e.g. `invalid_model_id`.
std::string to_string(ec x);

/// The `ec` of the same name as the core code `x`, so that a failure keeps
/// its code when it leaves core.
constexpr ec to_ec(core::errc x) noexcept {
  switch (x) {
    case core::errc::none:
      return ec::none;
    case core::errc::invalid_model_id:
      return ec::invalid_model_id;
    case core::errc::invalid_model_line:
      return ec::invalid_model_line;
    case core::errc::invalid_metric_kind:
      return ec::invalid_metric_kind;
    case core::errc::invalid_value:
      return ec::invalid_value;
    case core::errc::invalid_config:
      return ec::invalid_config;
    case core::errc::storage_failure:
      return ec::storage_failure;
  }
  // Only for a number that names no `errc` (see the check below).
  return static_cast<ec>(UINT8_MAX);
}

namespace detail {

/// Whether `to_ec` maps every one of the `core::errc_count` codes to an
/// `ec` (total), no two to the same (one to one), and no number past the
/// last code (so `errc_count` counts them all).
constexpr bool errc_maps_one_to_one() {
  constexpr auto unmapped = static_cast<ec>(UINT8_MAX);
  for (std::size_t i = 0; i < core::errc_count; ++i) {
    auto x = to_ec(static_cast<core::errc>(i));
    if (x == unmapped)
      return false;
    for (std::size_t j = 0; j < i; ++j)
      if (to_ec(static_cast<core::errc>(j)) == x)
        return false;
  }
  return to_ec(static_cast<core::errc>(core::errc_count)) == unmapped;
}

} // namespace detail

static_assert(detail::errc_maps_one_to_one(),
              "every core::errc needs its own ec (and errc_count must count "
              "every errc)");

/// Turns a core failure into a `caf::error` with the same code (`to_ec`)
/// and its message as the context; no failure becomes no error. The one
/// way a core failure crosses into actors, config and nodes.
caf::error to_error(core::failure x);

} // namespace retrain

CAF_ERROR_CODE_ENUM(retrain::ec, "retrain")
