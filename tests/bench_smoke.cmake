# ctest bench.smoke: runs retrain-bench (-DBENCH=path) on a small case and
# fails unless it exits 0 and its last line carries the expected breaches.
# (A PASS_REGULAR_EXPRESSION alone would let a crash after that line pass:
# ctest then ignores the exit code.)
execute_process(
  COMMAND "${BENCH}" local --models 100 --events 20000 --kinds 2 --batch 1000
  RESULT_VARIABLE rc
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "retrain-bench exited with ${rc}")
endif()
set(expected "events=20000 models=100 seconds=[0-9.]+ events_per_sec=[0-9]+ jobs=[0-9]+ breaches=964\n$")
if(NOT out MATCHES "${expected}")
  message(FATAL_ERROR "the last line does not match: ${expected}")
endif()
