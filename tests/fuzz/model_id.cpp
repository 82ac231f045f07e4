// Fuzz target: model ids and model lines, as ingest, the supervisor and
// retrain-ctl parse them from any peer or user.
//
// Checked: parse_model_id and check_model_id agree; a valid id prints
// back as itself and its line is a valid line; every error is printable
// ASCII.

#include "retrain/core/model_id.hpp"
#include "fuzz_check.hpp"

using namespace retrain;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto text = fuzz::as_text(data, size);
  auto id = core::parse_model_id(text);
  auto err = core::check_model_id(text);
  RETRAIN_FUZZ_CHECK(static_cast<bool>(id) == !err);
  if (id) {
    RETRAIN_FUZZ_CHECK(id->str() == text);
    RETRAIN_FUZZ_CHECK(core::model_line_of(text) == id->line());
    auto line = core::parse_model_line(id->line());
    RETRAIN_FUZZ_CHECK(line && *line == id->line());
  } else {
    RETRAIN_FUZZ_CHECK(fuzz::printable(id.error().message));
    RETRAIN_FUZZ_CHECK(id.error().message == err.message);
    RETRAIN_FUZZ_CHECK(id.error().code == core::errc::invalid_model_id);
    RETRAIN_FUZZ_CHECK(err.code == core::errc::invalid_model_id);
  }
  auto line = core::parse_model_line(text);
  if (line)
    RETRAIN_FUZZ_CHECK(*line == text);
  else
    RETRAIN_FUZZ_CHECK(fuzz::printable(line.error().message)
                       && line.error().code == core::errc::invalid_model_line);
  return 0;
}
