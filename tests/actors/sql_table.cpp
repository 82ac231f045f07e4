#define CAF_SUITE sql_table
#include <caf/test/dsl.hpp>

#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "retrain/sql_table.hpp"

#include "store_support.hpp"

using namespace retrain;
using namespace retrain::test;

namespace {

struct note {
  uint64_t id = 0;
  std::string body;
  job_state state = job_state::queued;
  int64_t n = 0;
};

constexpr auto note_fields
  = std::make_tuple(field{"id", &note::id}, field{"body", &note::body},
                    field{"state", &note::state}, field{"n", &note::n});

// Records what the table binds and serves it one row of texts.
struct fake_statement {
  std::map<int, std::string> bound;
  std::vector<std::string> row;

  void bind(int index, int64_t x) {
    bound[index] = std::to_string(x);
  }

  void bind(int index, std::string_view x) {
    bound[index] = "'" + std::string{x} + "'";
  }

  int64_t int64_column(int index) const {
    return std::stoll(row.at(index));
  }

  std::string text_column(int index) const {
    return row.at(index);
  }

  caf::error failure(const std::string& detail) const {
    return caf::make_error(ec::storage_failure, detail);
  }
};

const auto notes = make_sql_table<note>("notes", note_fields, "id");

const auto keyless = make_sql_table<note>("log", note_fields);

} // namespace

CAF_TEST(the sql names every column in field order) {
  CAF_CHECK_EQUAL(notes.select_sql(), "SELECT id, body, state, n FROM notes");
  CAF_CHECK_EQUAL(notes.select_sql("WHERE id = ?1"),
                  "SELECT id, body, state, n FROM notes WHERE id = ?1");
  CAF_CHECK_EQUAL(notes.insert_sql(), "INSERT INTO notes (body, state, n) "
                                      "VALUES (?1, ?2, ?3) RETURNING id");
  CAF_CHECK_EQUAL(notes.update_sql(),
                  "UPDATE notes SET body = ?1, state = ?2, n = ?3 "
                  "WHERE id = ?4 RETURNING id");
  CAF_CHECK_EQUAL(keyless.insert_sql(), "INSERT INTO log (id, body, state, n) "
                                        "VALUES (?1, ?2, ?3, ?4)");
}

CAF_TEST(bind follows the parameters of the sql) {
  note x{7, "hi", job_state::running, -3};
  fake_statement insert;
  notes.bind(insert, x);
  CAF_CHECK_EQUAL(insert.bound, (std::map<int, std::string>{
                                  {1, "'hi'"}, {2, "'running'"}, {3, "-3"}}));
  fake_statement update;
  notes.bind(update, x, true);
  CAF_CHECK_EQUAL(update.bound,
                  (std::map<int, std::string>{
                    {1, "'hi'"}, {2, "'running'"}, {3, "-3"}, {4, "7"}}));
  fake_statement all;
  keyless.bind(all, x);
  CAF_CHECK_EQUAL(all.bound,
                  (std::map<int, std::string>{
                    {1, "7"}, {2, "'hi'"}, {3, "'running'"}, {4, "-3"}}));
}

CAF_TEST(read fills every member from its column) {
  fake_statement st;
  // Unsigned values are stored as their two's complement.
  st.row = {"-1", "text", "failed", "-9"};
  note x;
  CAF_CHECK(!notes.read(st, x));
  CAF_CHECK_EQUAL(x.id, 18446744073709551615u);
  CAF_CHECK_EQUAL(x.body, "text");
  CAF_CHECK_EQUAL(x.state, job_state::failed);
  CAF_CHECK_EQUAL(x.n, -9);
}

CAF_TEST(read refuses a value its member cannot hold) {
  fake_statement st;
  st.row = {"1", "text", "lost", "2"};
  note x;
  auto err = notes.read(st, x);
  CAF_CHECK(has_code(err, ec::storage_failure));
  CAF_CHECK_EQUAL(context_text(err), "notes.state holds the unreadable 'lost'");
}
