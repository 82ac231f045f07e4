#include "retrain/core/errc.hpp"

namespace retrain::core {

std::string_view to_string(errc x) noexcept {
  switch (x) {
    case errc::none:
      return "none";
    case errc::invalid_model_id:
      return "invalid_model_id";
    case errc::invalid_model_line:
      return "invalid_model_line";
    case errc::invalid_metric_kind:
      return "invalid_metric_kind";
    case errc::invalid_value:
      return "invalid_value";
    case errc::invalid_config:
      return "invalid_config";
    case errc::storage_failure:
      return "storage_failure";
  }
  return "<invalid>";
}

} // namespace retrain::core
