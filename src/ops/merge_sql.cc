// MERGE INTO statements: cut at the top-level keywords USING, ON, WHEN and THEN, then each WHEN
// clause handed to parse_merge_clause, so the statement and `silt merge` share one clause syntax.
#include "ops/merge_sql.h"

#include <regex>

#include "ops/sql_clauses.h"
#include "util/sql_text.h"

namespace silt::ops {
namespace {

using Kind = MergeClause::Kind;

Error bad(const std::string& what) { return Error(ErrorKind::InvalidArgument, "MERGE INTO: " + what); }

// `text` without a trailing "[AS] <alias>" (case-insensitive); nullopt when it has none.
std::optional<std::string> without_alias(const std::string& text, const std::string& alias) {
  static const std::regex as_alias(R"re(^([\s\S]*?)\s+(?:[Aa][Ss]\s+)?(\w+)\s*$)re");
  std::smatch g;
  if (!std::regex_match(text, g, as_alias) || g[2].str().size() != 1 ||
      std::tolower(g[2].str()[0]) != alias[0])
    return std::nullopt;
  return trim_text(g[1].str());
}

// One WHEN clause: the text after WHEN.
Result<MergeClause> parse_when(const std::string& text) {
  auto words = top_level_keywords(text);
  auto word = [&](size_t i) { return i < words.size() ? words[i].word : std::string(); };
  Kind matched_kind;
  size_t next = 1;  // index of the first word after the match kind
  bool by_source = false;
  if (word(0) == "MATCHED") {
    matched_kind = Kind::MatchedUpdate;
  } else if (word(0) == "NOT" && word(1) == "MATCHED") {
    next = 2;
    if (word(2) == "BY" && (word(3) == "SOURCE" || word(3) == "TARGET")) {
      by_source = word(3) == "SOURCE";
      next = 4;
    }
    matched_kind = by_source ? Kind::NotMatchedBySourceUpdate : Kind::NotMatchedInsert;
  } else {
    return bad("WHEN " + text + ": expected MATCHED or NOT MATCHED");
  }
  size_t start = next < words.size() ? words[next].offset : text.size();
  size_t then = std::string::npos;
  for (size_t i = next; i < words.size(); i++)
    if (words[i].word == "THEN") {
      then = i;
      break;
    }
  if (then == std::string::npos) return bad("WHEN " + text + ": missing THEN");
  if (next < then && words[next].word != "AND")
    return bad("WHEN " + text + ": expected AND <condition> or THEN");
  std::string condition = trim_text(std::string_view(text).substr(start, words[then].offset - start));
  std::string action = trim_text(std::string_view(text).substr(words[then].offset + 4));
  std::string verb = word(then + 1), body;
  size_t after_verb = then + 2 < words.size() ? words[then + 2].offset : text.size();
  Kind kind = matched_kind;
  bool all = false;
  if (verb == "DELETE" && matched_kind != Kind::NotMatchedInsert) {
    kind = matched_kind == Kind::MatchedUpdate ? Kind::MatchedDelete : Kind::NotMatchedBySourceDelete;
    body = trim_text(std::string_view(text).substr(words[then + 1].offset + 6));
  } else if (verb == "UPDATE" && word(then + 2) == "SET" && matched_kind != Kind::NotMatchedInsert) {
    body = trim_text(std::string_view(text).substr(after_verb + 3));
    all = body == "*";
    if (all && by_source)
      return bad("WHEN NOT MATCHED BY SOURCE cannot UPDATE SET * (there is no source row)");
  } else if (verb == "INSERT" && matched_kind == Kind::NotMatchedInsert) {
    body = trim_text(std::string_view(text).substr(words[then + 1].offset + 6));
    all = body == "*";
  } else {
    return bad("WHEN ... THEN " + action + ": not an action this clause can take");
  }
  if (all) body.clear();
  std::string clause_text = condition;
  if (!body.empty()) clause_text += (condition.empty() ? "" : " THEN ") + body;
  return parse_merge_clause(kind, all, clause_text);
}

}  // namespace

Result<std::optional<MergeStatement>> parse_merge_statement(std::string_view sql) {
  std::string text = trim_text(sql);
  while (!text.empty() && text.back() == ';')
    text = trim_text(std::string_view(text).substr(0, text.size() - 1));
  static const std::regex head(
      R"re(^[Mm][Ee][Rr][Gg][Ee]\s+[Ii][Nn][Tt][Oo]\s+[Dd][Ee][Ll][Tt][Aa]_[Tt][Aa][Bb][Ll][Ee]\s*\(\s*'((?:[^']|'')*)'\s*\)([\s\S]*)$)re");
  std::smatch g;
  if (!std::regex_match(text, g, head)) return std::optional<MergeStatement>();
  MergeStatement m;
  for (size_t i = 0; i < g[1].str().size(); i++) {
    m.path += g[1].str()[i];
    if (g[1].str()[i] == '\'') i++;  // '' stands for one quote
  }
  std::string rest = g[2].str();
  auto words = top_level_keywords(rest);
  auto find = [&](const std::string& w, size_t from) {
    for (size_t i = from; i < words.size(); i++)
      if (words[i].word == w) return i;
    return words.size();
  };
  size_t using_at = find("USING", 0), on_at = find("ON", using_at), when_at = find("WHEN", on_at);
  if (using_at == words.size() || on_at == words.size())
    return bad("expected delta_table('path') AS t USING <source> AS s ON <condition> WHEN ...");
  static const std::regex target_alias(R"re(^\s*(?:[Aa][Ss]\s+)?[Tt]\s*$)re");
  if (!std::regex_match(rest.substr(0, words[using_at].offset), target_alias))
    return bad("the target must be delta_table('path') AS t");
  size_t source_begin = words[using_at].offset + 5;
  auto source = without_alias(
      trim_text(std::string_view(rest).substr(source_begin, words[on_at].offset - source_begin)), "s");
  if (!source || source->empty()) return bad("the source must be named s (USING ... AS s)");
  m.options.source_sql = "SELECT * FROM " + *source;
  size_t on_end = when_at < words.size() ? words[when_at].offset : rest.size();
  m.options.on =
      trim_text(std::string_view(rest).substr(words[on_at].offset + 2, on_end - words[on_at].offset - 2));
  for (size_t i = when_at; i < words.size();) {
    size_t next = find("WHEN", i + 1);
    size_t end = next < words.size() ? words[next].offset : rest.size();
    SILT_ASSIGN_OR_RETURN(
        auto clause,
        parse_when(trim_text(std::string_view(rest).substr(words[i].offset + 4, end - words[i].offset - 4))));
    m.options.clauses.push_back(std::move(clause));
    i = next;
  }
  return std::optional<MergeStatement>(std::move(m));
}

}  // namespace silt::ops
