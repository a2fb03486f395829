// Action JSON writing round-trips through the parser field by field.
#include "delta/log/action_writer.h"

#include <gtest/gtest.h>

#include "delta/log/action_parser.h"
#include "util/storage.h"

namespace silt::delta {
namespace {

class Collect final : public ActionSink {
 public:
  std::vector<Action> got;
  Status on_add(AddFile& a) override { return got.emplace_back(a), ok_status(); }
  Status on_remove(RemoveFile& r) override { return got.emplace_back(r), ok_status(); }
  Status on_cdc(AddCdcFile& c) override { return got.emplace_back(c), ok_status(); }
  Status on_metadata(Metadata& m) override { return got.emplace_back(m), ok_status(); }
  Status on_protocol(Protocol& p) override { return got.emplace_back(p), ok_status(); }
  Status on_txn(Txn& t) override { return got.emplace_back(t), ok_status(); }
  Status on_domain_metadata(DomainMetadata& d) override { return got.emplace_back(d), ok_status(); }
  Status on_commit_info(CommitInfo& c) override { return got.emplace_back(c), ok_status(); }
};

TEST(ActionWriter, RoundTripsEveryAction) {
  AddFile add;
  add.path = "p=a%20b/part-0.parquet";
  add.partition_values = {{"p", "a b"}, {"q", std::nullopt}};
  add.size = 123;
  add.modification_time = 1700000000000;
  add.data_change = false;
  add.stats = R"({"numRecords":3,"minValues":{"id":"say \"hi\"\n"}})";
  add.tags = {{"k", "v"}};
  add.deletion_vector = DeletionVectorDescriptor{'u', "ab^-aqEH.-t@S}K{vb[*k^", 1, 36, 2};
  add.base_row_id = 7;
  RemoveFile rm;
  rm.path = "x.parquet";
  rm.deletion_timestamp = 5;
  rm.size = 10;
  Metadata m;
  m.id = "id-1";
  m.name = "t";
  m.schema_string = R"({"type":"struct","fields":[]})";
  m.partition_columns = {"p", "q"};
  m.configuration = {{"delta.appendOnly", "false"}};
  m.created_time = 9;
  Protocol p{3, 7, std::vector<std::string>{"deletionVectors"}, std::vector<std::string>{"deletionVectors"}};
  Txn t{"app", 4, 99};
  DomainMetadata d{"dom", "{\"a\":1}", false};
  std::vector<Action> actions = {add, rm, m, p, t, d};
  std::string text = commit_text(actions);
  text.reserve(text.size() + kReadPadding);
  ActionParser parser;
  Collect c;
  ASSERT_TRUE(parser.parse_lines(text, "test", c).ok());
  ASSERT_EQ(c.got.size(), actions.size());
  const auto& a2 = std::get<AddFile>(c.got[0]);
  EXPECT_EQ(a2.path, add.path);
  EXPECT_EQ(a2.partition_values, add.partition_values);
  EXPECT_EQ(a2.size, add.size);
  EXPECT_EQ(a2.modification_time, add.modification_time);
  EXPECT_EQ(a2.data_change, false);
  EXPECT_EQ(a2.stats, add.stats);
  EXPECT_EQ(a2.tags, add.tags);
  EXPECT_EQ(a2.deletion_vector, add.deletion_vector);
  EXPECT_EQ(a2.base_row_id, 7);
  const auto& r2 = std::get<RemoveFile>(c.got[1]);
  EXPECT_EQ(r2.path, rm.path);
  EXPECT_EQ(r2.deletion_timestamp, 5);
  EXPECT_EQ(r2.size, 10);
  const auto& m2 = std::get<Metadata>(c.got[2]);
  EXPECT_EQ(m2.id, m.id);
  EXPECT_EQ(m2.name, m.name);
  EXPECT_EQ(m2.schema_string, m.schema_string);
  EXPECT_EQ(m2.partition_columns, m.partition_columns);
  EXPECT_EQ(m2.configuration, m.configuration);
  EXPECT_EQ(m2.created_time, 9);
  const auto& p2 = std::get<Protocol>(c.got[3]);
  EXPECT_EQ(p2.min_reader_version, 3);
  EXPECT_EQ(p2.reader_features, p.reader_features);
  EXPECT_EQ(std::get<Txn>(c.got[4]).last_updated, 99);
  EXPECT_EQ(std::get<DomainMetadata>(c.got[5]).configuration, d.configuration);
}

}  // namespace
}  // namespace silt::delta
