// Tests for delta/dv: Z85, DV paths, the RoaringBitmapArray codec, DV files, corrupt input (which
// must give Corruption, never a crash) and the DVs of the shared delta-rs tables.
// Single-threaded; temp files live under a per-test directory that is removed afterwards.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <set>

#include "delta/dv/deletion_vector.h"

namespace silt::delta {
namespace {

namespace fs = std::filesystem;

const std::string kSharedTables = SILT_SOURCE_DIR "/../shared/conformance/delta-rs";

// The shared tables are optional locally but must be there in CI.
#define SKIP_WITHOUT_SHARED_TABLES()                                              \
  do {                                                                            \
    if (!fs::is_directory(kSharedTables)) {                                       \
      const char* ci = std::getenv("CI");                                         \
      if (ci && std::string(ci) == "true") FAIL() << "missing " << kSharedTables; \
      GTEST_SKIP() << "shared tables not found at " << kSharedTables;             \
    }                                                                             \
  } while (0)

std::string le32(uint32_t v) {
  std::string s;
  for (int i = 0; i < 4; i++) s.push_back(char(v >> (8 * i)));
  return s;
}
std::string le16(uint16_t v) { return std::string{char(v), char(v >> 8)}; }
std::string le64(uint64_t v) { return le32(uint32_t(v)) + le32(uint32_t(v >> 32)); }

// Magic + portable 64-bit header around hand-made 32-bit bitmaps.
std::string dv_bytes(const std::vector<std::pair<uint32_t, std::string>>& buckets) {
  std::string out = le32(1681511377) + le64(buckets.size());
  for (const auto& [key, bitmap] : buckets) out += le32(key) + bitmap;
  return out;
}

// A 32-bit bitmap with one array container (no-run cookie) holding `values` verbatim.
std::string array_bitmap(const std::vector<uint16_t>& values) {
  std::string out = le32(12346) + le32(1) + le16(0) + le16(uint16_t(values.size() - 1)) + le32(16);
  for (uint16_t v : values) out += le16(v);
  return out;
}

// A 32-bit bitmap with one run container (run cookie, count 1, no offsets).
std::string run_bitmap(uint16_t start, uint16_t length_minus_one, uint16_t card_minus_one) {
  return le32(12347) + std::string(1, '\x01') + le16(0) + le16(card_minus_one) + le16(1) + le16(start) +
         le16(length_minus_one);
}

DeletionVector from_rows(const std::vector<uint64_t>& rows) {
  DeletionVector dv;
  for (uint64_t r : rows) dv.add(r);
  return dv;
}

void expect_corrupt(std::string_view bytes, const std::string& why) {
  auto r = DeletionVector::decode(bytes);
  ASSERT_FALSE(r.ok()) << why;
  EXPECT_EQ(r.error().kind(), ErrorKind::Corruption) << why << ": " << r.error().message();
}

// Removed with the test; named by pid and test so parallel ctest runs do not collide.
class TempDir {
 public:
  TempDir() {
    auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = (fs::temp_directory_path() /
             ("silt-dv-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name()))
                .string();
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// ---------------------------------------------------------------------------------------------

TEST(DvZ85, SpecExample) {
  const std::string bytes = "\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B";
  EXPECT_EQ(z85_encode(bytes), "HelloWorld");
  auto decoded = z85_decode("HelloWorld");
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_EQ(*decoded, bytes);
}

TEST(DvZ85, RoundTripsEveryByteValue) {
  std::string bytes;
  for (int i = 0; i < 256; i++) bytes.push_back(char(i));
  std::string text = z85_encode(bytes);
  EXPECT_EQ(text.size(), 320u);
  auto decoded = z85_decode(text);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, bytes);
  EXPECT_EQ(z85_encode(std::string(4, '\xff')), "%nSc0");
  EXPECT_EQ(z85_encode(std::string(4, '\0')), "00000");
  EXPECT_EQ(z85_encode(""), "");
}

TEST(DvZ85, PadsOddLengthsWithZeros) {
  auto decoded = z85_decode(z85_encode("abcde"));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(*decoded, std::string("abcde\0\0\0", 8));
}

TEST(DvZ85, RejectsBadInput) {
  for (std::string_view bad : {"Hell", "HelloWorl", "Hello World", "Hel\"o", "%%%%%", "#####", "Hell\x80"}) {
    auto r = z85_decode(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind(), ErrorKind::Corruption) << bad;
  }
  EXPECT_TRUE(z85_decode("%nSc0").ok());   // 2^32 - 1: the largest group
  EXPECT_FALSE(z85_decode("%nSc1").ok());  // 2^32
}

// ---------------------------------------------------------------------------------------------

DeletionVectorDescriptor descriptor(char type, std::string path, std::optional<int32_t> offset, int32_t size,
                                    int64_t cardinality) {
  return DeletionVectorDescriptor{type, std::move(path), offset, size, cardinality};
}

TEST(DvPath, UuidWithoutPrefix) {
  auto p = deletion_vector_file_path(descriptor('u', "vBn[lx{q8@P<9BNH/isA", 1, 36, 2), "/t");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(*p, "/t/deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin");
}

TEST(DvPath, UuidWithRandomPrefix) {  // PROTOCOL.md JSON Example 1
  auto p = deletion_vector_file_path(descriptor('u', "ab^-aqEH.-t@S}K{vb[*k^", 4, 40, 6), "/mytable/");
  ASSERT_TRUE(p.ok()) << p.error().message();
  EXPECT_EQ(*p, "/mytable/ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin");
}

TEST(DvPath, AbsolutePathsAndFileUris) {
  auto plain = deletion_vector_file_path(descriptor('p', "/data/dv%20one.bin", 1, 10, 1), "/t");
  ASSERT_TRUE(plain.ok()) << plain.error().message();
  EXPECT_EQ(*plain, "/data/dv one.bin");
  auto uri = deletion_vector_file_path(descriptor('p', "file:///data/a%2Bb/dv.bin", 1, 10, 1), "/t");
  ASSERT_TRUE(uri.ok()) << uri.error().message();
  EXPECT_EQ(*uri, "/data/a+b/dv.bin");
}

TEST(DvPath, OtherSchemesAreUnsupported) {
  auto p = deletion_vector_file_path(
      descriptor('p', "s3://mytable/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin", 4, 40, 6),
      "/t");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().kind(), ErrorKind::Unsupported);
  EXPECT_NE(p.error().message().find("'s3'"), std::string::npos) << p.error().message();
}

TEST(DvPath, MalformedDescriptors) {
  for (auto d :
       {descriptor('u', "tooShort", 1, 10, 1), descriptor('u', "..vBn[lx{q8@P<9BNH/isA", 1, 10, 1),
        descriptor('u', "vBn[lx{q8@P<9BNH/is ", 1, 10, 1), descriptor('p', "relative/dv.bin", 1, 10, 1),
        descriptor('x', "vBn[lx{q8@P<9BNH/isA", 1, 10, 1)}) {
    auto p = deletion_vector_file_path(d, "/t");
    ASSERT_FALSE(p.ok()) << d.unique_id();
    EXPECT_EQ(p.error().kind(), ErrorKind::Corruption) << d.unique_id();
  }
  auto inline_dv = deletion_vector_file_path(descriptor('i', "00000", std::nullopt, 4, 0), "/t");
  ASSERT_FALSE(inline_dv.ok());
  EXPECT_EQ(inline_dv.error().kind(), ErrorKind::InvalidArgument);
}

// ---------------------------------------------------------------------------------------------

void expect_round_trip(const std::vector<uint64_t>& rows) {
  DeletionVector dv = from_rows(rows);
  std::set<uint64_t> expected(rows.begin(), rows.end());
  auto decoded = DeletionVector::decode(dv.encode());
  ASSERT_TRUE(decoded.ok()) << decoded.error().message();
  EXPECT_EQ(decoded->cardinality(), expected.size());
  EXPECT_EQ(decoded->rows(), std::vector<uint64_t>(expected.begin(), expected.end()));
  for (uint64_t r : expected) EXPECT_TRUE(decoded->contains(r)) << r;
  EXPECT_EQ(decoded->encode(), dv.encode());
}

TEST(DvCodec, RoundTripsSmallSets) {
  expect_round_trip({});
  expect_round_trip({0});
  expect_round_trip({9, 0, 3, 3, 7});
  expect_round_trip({65535, 65536, 131071, 4294967295ull});
}

TEST(DvCodec, RoundTripsRowsAbove2To32) {
  const uint64_t k32 = uint64_t(1) << 32;
  std::vector<uint64_t> rows = {
      3, k32, k32 + 5, 5 * k32 + 1, (uint64_t(1) << 40) + 7, (uint64_t(1) << 62) + 9};
  expect_round_trip(rows);
  DeletionVector dv = from_rows(rows);
  EXPECT_TRUE(dv.contains(k32 + 5));
  EXPECT_FALSE(dv.contains(5));  // same low bits as k32 + 5, other bucket
  EXPECT_FALSE(dv.contains(2 * k32));
  EXPECT_EQ(dv.cardinality(), rows.size());
}

TEST(DvCodec, RoundTripsRunAndBitsetContainers) {
  std::vector<uint64_t> rows;
  for (uint64_t r = 1000; r < 90000; r++) rows.push_back(r);                // runs after optimization
  for (uint64_t r = 200000; r < 200000 + 65536; r += 2) rows.push_back(r);  // a bitset container
  std::mt19937_64 rng(42);
  for (int i = 0; i < 3000; i++) rows.push_back(rng() % 50000000);  // array containers
  expect_round_trip(rows);
  // The run-optimized form is far smaller than one value per row.
  EXPECT_LT(from_rows(rows).encode().size(), 30000u);
}

// PROTOCOL.md JSON Example 3 predates the current format: it carries the old big-endian "native"
// magic 1681511376, which no current reader accepts (delta-io/delta#1905, #2050). The same rows in
// today's portable format, Z85-encoded independently of silt, share its tail.
TEST(DvCodec, ProtocolInlineExample) {
  auto storage = make_local_storage();
  auto stale = descriptor('i', "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", std::nullopt, 40, 6);
  auto old = DeletionVector::load(stale, "/nonexistent", *storage);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().kind(), ErrorKind::Corruption);
  auto d = descriptor('i', "^Bg9^0rr910000000000iXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L", std::nullopt, 44, 6);
  auto dv = DeletionVector::load(d, "/nonexistent", *storage);
  ASSERT_TRUE(dv.ok()) << dv.error().message();
  EXPECT_EQ(dv->rows(), (std::vector<uint64_t>{3, 4, 7, 11, 18, 29}));
}

TEST(DvCodec, InlineRoundTripWithPadding) {
  std::string bytes = from_rows({1, 2, (uint64_t(1) << 33)}).encode();
  ASSERT_NE(bytes.size() % 4, 0u);  // exercises the padding path
  auto d = descriptor('i', z85_encode(bytes), std::nullopt, int32_t(bytes.size()), 3);
  auto storage = make_local_storage();
  auto dv = DeletionVector::load(d, "/nonexistent", *storage);
  ASSERT_TRUE(dv.ok()) << dv.error().message();
  EXPECT_EQ(dv->rows(), (std::vector<uint64_t>{1, 2, uint64_t(1) << 33}));
}

// ---------------------------------------------------------------------------------------------

TEST(DvCorrupt, EveryTruncationIsCorruption) {
  std::vector<uint64_t> rows = {1, 5, uint64_t(1) << 32};
  for (uint64_t r = 70000; r < 80000; r++) rows.push_back(r);
  std::string bytes = from_rows(rows).encode();
  for (size_t n = 0; n < bytes.size(); n++)
    expect_corrupt(std::string_view(bytes).substr(0, n), std::to_string(n));
}

TEST(DvCorrupt, HeaderProblems) {
  std::string good = dv_bytes({{0, array_bitmap({1, 2})}});
  ASSERT_TRUE(DeletionVector::decode(good).ok());
  std::string bad_magic = good;
  bad_magic[0] ^= 1;
  expect_corrupt(bad_magic, "bad magic");
  expect_corrupt(le32(1681511377) + le64(~uint64_t(0)) + le32(0) + array_bitmap({1}), "huge bucket count");
  expect_corrupt(le32(1681511377) + le64(2) + le32(0) + array_bitmap({1}), "bucket count past the end");
  expect_corrupt(dv_bytes({{1, array_bitmap({1})}, {1, array_bitmap({2})}}), "repeated key");
  expect_corrupt(dv_bytes({{2, array_bitmap({1})}, {1, array_bitmap({2})}}), "decreasing keys");
  expect_corrupt(dv_bytes({{0x80000000u, array_bitmap({1})}}), "key with its top bit set");
  expect_corrupt(good + "x", "trailing byte");
}

TEST(DvCorrupt, RoaringInternals) {
  expect_corrupt(dv_bytes({{0, le32(12345) + le32(0)}}), "bad cookie");
  expect_corrupt(dv_bytes({{0, le32(12346) + le32(0xFFFFFFFF)}}), "negative container count");
  expect_corrupt(dv_bytes({{0, le32(12346) + le32(70000)}}), "too many containers");
  expect_corrupt(dv_bytes({{0, array_bitmap({5, 3})}}), "unsorted array");
  expect_corrupt(dv_bytes({{0, array_bitmap({5, 5})}}), "duplicate in array");
  // Bitset container whose header claims 4097 values over all-zero words.
  std::string bitset = le32(12346) + le32(1) + le16(0) + le16(4096) + le32(16) + std::string(8192, '\0');
  expect_corrupt(dv_bytes({{0, bitset}}), "bitset popcount mismatch");
  expect_corrupt(dv_bytes({{0, run_bitmap(65535, 5, 5)}}), "run past 16 bits");
  expect_corrupt(dv_bytes({{0, run_bitmap(10, 5, 9)}}), "run cardinality mismatch");
  std::string two_containers =
      le32(12346) + le32(2) + le16(3) + le16(0) + le16(3) + le16(0) + le32(24) + le32(26) + le16(1) + le16(2);
  expect_corrupt(dv_bytes({{0, two_containers}}), "repeated container key");

  auto ok_run = DeletionVector::decode(dv_bytes({{0, run_bitmap(10, 5, 5)}}));
  ASSERT_TRUE(ok_run.ok()) << ok_run.error().message();
  EXPECT_EQ(ok_run->rows(), (std::vector<uint64_t>{10, 11, 12, 13, 14, 15}));
}

// Seeded, so any failure replays exactly. Under ASan this also proves no out-of-bounds access.
TEST(DvCorrupt, RandomByteFlipsNeverCrash) {
  std::vector<uint64_t> rows = {0, 9, uint64_t(3) << 32};
  for (uint64_t r = 100; r < 5000; r += 3) rows.push_back(r);
  for (uint64_t r = 70000; r < 72000; r++) rows.push_back(r);
  const std::string good = from_rows(rows).encode();
  std::mt19937 rng(1234);
  int decoded_ok = 0;
  for (int i = 0; i < 5000; i++) {
    std::string bytes = good;
    for (int flips = 1 + int(rng() % 3); flips > 0; flips--) bytes[rng() % bytes.size()] = char(rng());
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    auto r = DeletionVector::decode(bytes);
    if (!r.ok()) {
      ASSERT_EQ(r.error().kind(), ErrorKind::Corruption) << r.error().message();
      continue;
    }
    decoded_ok++;
    std::vector<uint64_t> got = r->rows();
    ASSERT_EQ(got.size(), r->cardinality());
    ASSERT_TRUE(std::is_sorted(got.begin(), got.end()));
    ASSERT_EQ(std::adjacent_find(got.begin(), got.end()), got.end());
    for (uint64_t row : got) ASSERT_TRUE(r->contains(row));
  }
  RecordProperty("decoded_ok", decoded_ok);
}

// ---------------------------------------------------------------------------------------------

// A 'u' descriptor for a DV file written under `dir` with a fixed UUID.
const std::string kUuidZ85 = "vBn[lx{q8@P<9BNH/isA";
const std::string kUuidFile = "deletion_vector_61d16c75-6994-46b7-a15b-8b538852e50e.bin";

std::string write_dv_file(const std::string& dir, const std::string& bytes) {
  std::string path = dir + "/" + kUuidFile;
  EXPECT_TRUE(make_local_storage()->put(path, bytes).ok());
  return path;
}

Result<DeletionVector> load_u(const std::string& dir, std::optional<int32_t> offset, int32_t size,
                              int64_t cardinality) {
  return DeletionVector::load(descriptor('u', kUuidZ85, offset, size, cardinality), dir,
                              *make_local_storage());
}

TEST(DvFile, LoadsEachDvOfAMultiDvFile) {
  TempDir tmp;
  std::vector<std::string> bitmaps = {from_rows({0, 9}).encode(),
                                      from_rows({1, 2, 3, uint64_t(1) << 35}).encode()};
  auto file = encode_dv_file(bitmaps);
  ASSERT_TRUE(file.ok());
  ASSERT_EQ(file->offsets.size(), 2u);
  EXPECT_EQ(file->offsets[0], 1);
  EXPECT_EQ(file->offsets[1], int32_t(1 + 4 + bitmaps[0].size() + 4));
  write_dv_file(tmp.path(), file->bytes);
  auto first = load_u(tmp.path(), file->offsets[0], int32_t(bitmaps[0].size()), 2);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first->rows(), (std::vector<uint64_t>{0, 9}));
  auto second = load_u(tmp.path(), file->offsets[1], int32_t(bitmaps[1].size()), 4);
  ASSERT_TRUE(second.ok()) << second.error().message();
  EXPECT_EQ(second->rows(), (std::vector<uint64_t>{1, 2, 3, uint64_t(1) << 35}));
  auto no_offset = load_u(tmp.path(), std::nullopt, int32_t(bitmaps[0].size()), 2);  // reads as offset 1
  ASSERT_TRUE(no_offset.ok()) << no_offset.error().message();
}

void expect_file_corrupt(const Result<DeletionVector>& r, const std::string& why) {
  ASSERT_FALSE(r.ok()) << why;
  EXPECT_EQ(r.error().kind(), ErrorKind::Corruption) << why << ": " << r.error().message();
  EXPECT_NE(r.error().message().find(kUuidFile), std::string::npos) << why << ": " << r.error().message();
  EXPECT_EQ(r.error().message().find('\n'), std::string::npos) << why;
}

TEST(DvFile, CorruptFilesAreCorruption) {
  TempDir tmp;
  std::string bitmap = from_rows({0, 9}).encode();
  const int32_t size = int32_t(bitmap.size());
  std::string good = encode_dv_file(std::vector<std::string>{bitmap})->bytes;
  write_dv_file(tmp.path(), good);
  ASSERT_TRUE(load_u(tmp.path(), 1, size, 2).ok());

  expect_file_corrupt(load_u(tmp.path(), 1, size, 3), "cardinality mismatch");
  expect_file_corrupt(load_u(tmp.path(), 1, size - 1, 2), "sizeInBytes differs from the size field");
  expect_file_corrupt(load_u(tmp.path(), 1, INT32_MAX, 2), "huge sizeInBytes");
  expect_file_corrupt(load_u(tmp.path(), 40, size, 2), "offset past the end");
  expect_file_corrupt(load_u(tmp.path(), 0, size, 2), "offset on the version byte");
  expect_file_corrupt(load_u(tmp.path(), -5, size, 2), "negative offset");

  std::string bad_crc = good;
  bad_crc.back() ^= 0x55;
  write_dv_file(tmp.path(), bad_crc);
  expect_file_corrupt(load_u(tmp.path(), 1, size, 2), "bad checksum");

  std::string bad_data = good;
  bad_data[10] ^= 0x01;
  write_dv_file(tmp.path(), bad_data);
  expect_file_corrupt(load_u(tmp.path(), 1, size, 2), "flipped data byte");

  std::string bad_version = good;
  bad_version[0] = 2;
  write_dv_file(tmp.path(), bad_version);
  expect_file_corrupt(load_u(tmp.path(), 1, size, 2), "bad version");

  // A wrong magic number with a checksum that matches it: only decode() can catch it.
  std::string bad_magic_bitmap = bitmap;
  bad_magic_bitmap[0] ^= 1;
  write_dv_file(tmp.path(), encode_dv_file(std::vector<std::string>{bad_magic_bitmap})->bytes);
  expect_file_corrupt(load_u(tmp.path(), 1, size, 2), "bad magic behind a good checksum");
}

TEST(DvFile, InlineSizeAndCardinalityAreChecked) {
  std::string bytes = from_rows({1, 2}).encode();
  auto storage = make_local_storage();
  for (auto d : {descriptor('i', z85_encode(bytes), std::nullopt, int32_t(bytes.size()) + 4, 2),
                 descriptor('i', z85_encode(bytes), std::nullopt, int32_t(bytes.size()) - 4, 2),
                 descriptor('i', z85_encode(bytes), std::nullopt, int32_t(bytes.size()), 3),
                 descriptor('i', z85_encode(bytes), std::nullopt, -1, 2),
                 descriptor('i', z85_encode(bytes) + "!", std::nullopt, int32_t(bytes.size()), 2)}) {
    auto r = DeletionVector::load(d, "/t", *storage);
    ASSERT_FALSE(r.ok()) << d.size_in_bytes;
    EXPECT_EQ(r.error().kind(), ErrorKind::Corruption) << r.error().message();
  }
}

TEST(DvFile, MissingFileIsNotFound) {
  TempDir tmp;
  auto r = load_u(tmp.path(), 1, 20, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind(), ErrorKind::NotFound) << r.error().message();
}

// ---------------------------------------------------------------------------------------------

struct LoggedDv {
  DeletionVectorDescriptor descriptor;
  std::optional<int64_t> num_records;  // from the action's stats; removes usually have none
  std::string where;
};

std::optional<int64_t> num_records(std::string_view stats_json) {
  simdjson::dom::parser parser;
  int64_t n = 0;
  if (parser.parse(std::string(stats_json))["numRecords"].get(n)) return std::nullopt;
  return n;
}

std::optional<DeletionVectorDescriptor> parse_descriptor(simdjson::dom::object dv) {
  std::string_view type, path;
  int64_t size = 0, cardinality = 0, offset = 0;
  if (dv["storageType"].get(type) || type.size() != 1 || dv["pathOrInlineDv"].get(path) ||
      dv["sizeInBytes"].get(size) || dv["cardinality"].get(cardinality)) {
    return std::nullopt;
  }
  DeletionVectorDescriptor d{type[0], std::string(path), std::nullopt, int32_t(size), cardinality};
  if (!dv["offset"].get(offset)) d.offset = int32_t(offset);
  return d;
}

// Every add/remove deletionVector in the table's JSON commits, parsed by hand.
std::vector<LoggedDv> logged_dvs(const std::string& table) {
  std::vector<LoggedDv> out;
  simdjson::dom::parser parser;
  for (const auto& entry : fs::directory_iterator(table + "/_delta_log")) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::string line;
    for (int n = 1; std::getline(in, line); n++) {
      simdjson::dom::element doc;
      if (line.empty() || parser.parse(line).get(doc)) continue;
      for (const char* kind : {"add", "remove"}) {
        simdjson::dom::object action, dv;
        if (doc[kind].get(action) || action["deletionVector"].get(dv)) continue;
        auto d = parse_descriptor(dv);
        EXPECT_TRUE(d) << entry.path() << ":" << n;
        if (!d) continue;
        std::string_view stats;
        std::optional<int64_t> records;
        if (!action["stats"].get(stats)) records = num_records(stats);
        out.push_back({*d, records, entry.path().filename().string() + ":" + std::to_string(n) + " " + kind});
      }
    }
  }
  return out;
}

// Loads every DV of a shared table; returns the distinct descriptors seen.
size_t check_table_dvs(const std::string& name) {
  std::string table = kSharedTables + "/" + name;
  auto storage = make_local_storage();
  std::set<std::string> distinct;
  for (const LoggedDv& logged : logged_dvs(table)) {
    distinct.insert(logged.descriptor.unique_id());
    auto dv = DeletionVector::load(logged.descriptor, table, *storage);
    EXPECT_TRUE(dv.ok()) << logged.where << ": " << (dv.ok() ? "" : dv.error().message());
    if (!dv.ok()) continue;
    EXPECT_EQ(dv->cardinality(), uint64_t(logged.descriptor.cardinality)) << logged.where;
    std::vector<uint64_t> rows = dv->rows();
    EXPECT_EQ(rows.size(), uint64_t(logged.descriptor.cardinality)) << logged.where;
    if (logged.num_records && !rows.empty()) {
      EXPECT_LT(rows.back(), uint64_t(*logged.num_records)) << logged.where;
    }
  }
  return distinct.size();
}

TEST(DvTables, TableWithDvSmall) {
  SKIP_WITHOUT_SHARED_TABLES();
  std::string table = kSharedTables + "/table-with-dv-small";
  auto dvs = logged_dvs(table);
  ASSERT_EQ(dvs.size(), 1u);
  EXPECT_EQ(dvs[0].descriptor.storage_type, 'u');
  EXPECT_EQ(dvs[0].num_records, 10);
  auto dv = DeletionVector::load(dvs[0].descriptor, table, *make_local_storage());
  ASSERT_TRUE(dv.ok()) << dv.error().message();
  EXPECT_EQ(dv->cardinality(), 2u);
  // The commit's predicate is "value IN (0, 9)" over the values 0..9 in row order.
  EXPECT_EQ(dv->rows(), (std::vector<uint64_t>{0, 9}));
  EXPECT_EQ(check_table_dvs("table-with-dv-small"), 1u);
}

TEST(DvTables, TableWithDeletionLogs) {
  SKIP_WITHOUT_SHARED_TABLES();
  EXPECT_EQ(check_table_dvs("table_with_deletion_logs"), 2u);
}

TEST(DvTables, CdfTableWithCdcAndDvs) {
  SKIP_WITHOUT_SHARED_TABLES();
  // Includes a file holding two DVs (offsets 1 and 43).
  EXPECT_EQ(check_table_dvs("cdf-table-with-cdc-and-dvs"), 10u);
}

}  // namespace
}  // namespace silt::delta
