#include "retrain/sql_dialect.hpp"

#include <cctype>

namespace retrain::sql_dialect {

namespace {

struct word {
  std::string_view from;
  std::string_view to;
};

// Replaces each `from` of `words` in `portable` by its `to`.
template <size_t N>
std::string replace_words(std::string_view portable, const word (&words)[N]) {
  std::string result;
  result.reserve(portable.size());
  while (!portable.empty()) {
    auto replaced = false;
    for (auto& w : words) {
      if (portable.substr(0, w.from.size()) == w.from) {
        result += w.to;
        portable.remove_prefix(w.from.size());
        replaced = true;
        break;
      }
    }
    if (!replaced) {
      result += portable.front();
      portable.remove_prefix(1);
    }
  }
  return result;
}

constexpr word sqlite_words[] = {
  {"{id}", "INTEGER PRIMARY KEY AUTOINCREMENT"},
  {"{int}", "INTEGER"},
  {"{text}", "TEXT"},
};

// BIGSERIAL: a sequence `<table>_id_seq` that never hands out a value
// twice, as AUTOINCREMENT.
constexpr word postgresql_words[] = {
  {"{id}", "BIGSERIAL PRIMARY KEY"},
  {"{int}", "BIGINT"},
  {"{text}", "TEXT"},
};

bool is_postgresql(const dialect& d) {
  return &d == &postgresql();
}

} // namespace

std::string dialect::write_schema_version(int version) const {
  if (is_postgresql(*this))
    return "DELETE FROM schema_version; INSERT INTO schema_version (version) "
           "VALUES ("
           + std::to_string(version) + ")";
  return "PRAGMA user_version = " + std::to_string(version);
}

std::string dialect::seed_ids(std::string_view table) const {
  std::string name{table};
  if (is_postgresql(*this))
    return "SELECT setval('" + name + "_id_seq', " + param(1) + ") FROM " + name
           + "_id_seq WHERE NOT is_called";
  return "INSERT INTO sqlite_sequence (name, seq) SELECT '" + name + "', "
         + param(1) + " WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE "
         + "name = '" + name + "')";
}

std::string dialect::schema_sql(std::string_view portable) const {
  if (is_postgresql(*this))
    return replace_words(portable, postgresql_words);
  return replace_words(portable, sqlite_words);
}

std::string dialect::statement_sql(std::string_view portable) const {
  if (!is_postgresql(*this))
    return std::string{portable};
  std::string result;
  result.reserve(portable.size());
  char quote = 0;
  for (size_t i = 0; i < portable.size(); ++i) {
    auto c = portable[i];
    if (quote != 0) {
      if (c == quote)
        quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '?' && i + 1 < portable.size()
               && std::isdigit(static_cast<unsigned char>(portable[i + 1]))) {
      c = '$';
    }
    result += c;
  }
  return result;
}

const dialect& sqlite() {
  static const dialect result{
    "sqlite",
    "BEGIN IMMEDIATE",
    "COMMIT",
    "ROLLBACK",
    "",
    // SQLite keeps it in the file header.
    "PRAGMA user_version",
    "rowid",
  };
  return result;
}

const dialect& postgresql() {
  // The transaction releases the advisory lock at its end, a lost session
  // too.
  static const std::string begin_write
    = "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock("
      + std::to_string(pg_write_lock_key) + ")";
  static const dialect result{
    "postgresql",
    begin_write.c_str(),
    "COMMIT",
    "ROLLBACK",
    "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)",
    "SELECT COALESCE(MAX(version), 0) FROM schema_version",
    "created_at_ns, job_id",
  };
  return result;
}

} // namespace retrain::sql_dialect
