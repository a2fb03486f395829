// Deletion vector codec and loader. See deletion_vector.h. CRoaring 0.2.66 trusts the counts and
// cardinalities inside its input, so every serialized 32-bit bitmap is first walked by
// validate_roaring32() and only then handed over, with its exact length, to the _safe deserializer.
#include "delta/dv/deletion_vector.h"

#include <fmt/format.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <bit>
#include <climits>
#include <cstring>
#include <new>

#include "util/path.h"

namespace silt::delta {
namespace {

constexpr uint32_t kDvMagic = 1681511377;  // portable RoaringBitmapArray format
constexpr uint8_t kDvFileVersion = 1;
// Roaring 32-bit portable format (RoaringFormatSpec).
constexpr uint32_t kCookieNoRun = 12346;
constexpr uint32_t kCookieRun = 12347;
constexpr uint32_t kNoOffsetThreshold = 4;
constexpr uint32_t kMaxContainers = 1 << 16;
constexpr uint32_t kMaxArrayCardinality = 4096;
constexpr size_t kBitsetBytes = 8192;
// Smallest bucket: 4-byte key + empty bitmap (cookie + container count).
constexpr size_t kMinBucketBytes = 12;
constexpr size_t kUuidZ85Chars = 20;

constexpr std::string_view kZ85Chars =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

constexpr std::array<int8_t, 256> make_z85_index() {
  std::array<int8_t, 256> index{};
  index.fill(-1);
  for (size_t i = 0; i < kZ85Chars.size(); i++) index[static_cast<unsigned char>(kZ85Chars[i])] = int8_t(i);
  return index;
}
constexpr std::array<int8_t, 256> kZ85Index = make_z85_index();

Error corrupt(std::string message) { return Error(ErrorKind::Corruption, std::move(message)); }

template <class T>
Result<T> named(Result<T> r, const std::string& name) {
  if (!r.ok()) return r.error().with_context(name);
  return r;
}

uint32_t load_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t(u[0]) << 24 | uint32_t(u[1]) << 16 | uint32_t(u[2]) << 8 | uint32_t(u[3]);
}

void append_be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(char(v >> shift));
}

template <class T>
void append_le(std::string& out, T v) {
  for (size_t i = 0; i < sizeof(T); i++) out.push_back(char(uint64_t(v) >> (8 * i)));
}

uint32_t crc32_of(std::string_view s) {
  return uint32_t(::crc32_z(0L, reinterpret_cast<const Bytef*>(s.data()), s.size()));
}

// Bounds-checked little-endian reader over untrusted bytes; every read reports whether it fit.
class Cursor {
 public:
  explicit Cursor(std::string_view data) : data_(data) {}
  size_t pos() const { return pos_; }
  size_t remaining() const { return data_.size() - pos_; }
  std::string_view rest() const { return data_.substr(pos_); }
  bool take(size_t n, std::string_view& out) {
    if (n > remaining()) return false;
    out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  template <class T>
  bool le(T& out) {
    std::string_view b;
    if (!take(sizeof(T), b)) return false;
    uint64_t v = 0;
    for (size_t i = 0; i < sizeof(T); i++) v |= uint64_t(static_cast<unsigned char>(b[i])) << (8 * i);
    out = T(v);
    return true;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

uint16_t le16_at(std::string_view s, size_t i) {
  return uint16_t(static_cast<unsigned char>(s[i]) | static_cast<unsigned char>(s[i + 1]) << 8);
}

// --- 32-bit roaring validation ---------------------------------------------------------------

Status validate_run_container(Cursor& c, uint32_t card) {
  uint16_t n_runs;
  std::string_view runs;
  if (!c.le(n_runs) || !c.take(size_t(n_runs) * 4, runs)) return corrupt("truncated run container");
  uint64_t total = 0;
  int64_t prev_end = -1;
  for (size_t i = 0; i < n_runs; i++) {
    uint32_t start = le16_at(runs, 4 * i);
    uint32_t end = start + le16_at(runs, 4 * i + 2);
    if (end > 0xFFFF) return corrupt("run container run extends past 16 bits");
    if (int64_t(start) <= prev_end) return corrupt("run container runs overlap or are unsorted");
    prev_end = end;
    total += end - start + 1;
  }
  if (total != card)
    return corrupt(fmt::format("run container holds {} values, header says {}", total, card));
  return ok_status();
}

Status validate_bitset_container(Cursor& c, uint32_t card) {
  std::string_view words;
  if (!c.take(kBitsetBytes, words)) return corrupt("truncated bitset container");
  uint64_t total = 0;
  for (size_t i = 0; i < kBitsetBytes; i += 8) {
    uint64_t w;
    std::memcpy(&w, words.data() + i, 8);
    total += uint64_t(std::popcount(w));
  }
  if (total != card)
    return corrupt(fmt::format("bitset container holds {} values, header says {}", total, card));
  return ok_status();
}

Status validate_array_container(Cursor& c, uint32_t card) {
  std::string_view values;
  if (!c.take(size_t(card) * 2, values)) return corrupt("truncated array container");
  for (size_t i = 1; i < card; i++) {
    if (le16_at(values, 2 * i) <= le16_at(values, 2 * (i - 1))) {
      return corrupt("array container values are not strictly increasing");
    }
  }
  return ok_status();
}

// Walks one serialized 32-bit bitmap at the start of `bytes` and returns its exact length. Checks
// everything CRoaring would otherwise trust: container count, header and container bounds, sorted
// keys and values, and that every container holds the cardinality its header states.
Result<size_t> validate_roaring32(std::string_view bytes) {
  Cursor c(bytes);
  uint32_t cookie = 0;
  uint32_t count = 0;
  if (!c.le(cookie)) return corrupt("truncated roaring bitmap header");
  bool has_run = (cookie & 0xFFFF) == kCookieRun;
  if (has_run) {
    count = (cookie >> 16) + 1;
  } else if (cookie != kCookieNoRun) {
    return corrupt(fmt::format("bad roaring bitmap cookie {}", cookie));
  } else if (!c.le(count)) {
    return corrupt("truncated roaring bitmap header");
  }
  if (count > kMaxContainers) return corrupt(fmt::format("roaring bitmap claims {} containers", count));
  std::string_view run_flags, headers, offsets;
  if (has_run && !c.take((count + 7) / 8, run_flags)) return corrupt("truncated roaring run flags");
  if (!c.take(size_t(count) * 4, headers)) return corrupt("truncated roaring container headers");
  // Offsets are redundant with the headers; CRoaring skips them, and so do we.
  if ((!has_run || count >= kNoOffsetThreshold) && !c.take(size_t(count) * 4, offsets)) {
    return corrupt("truncated roaring container offsets");
  }
  for (size_t k = 0; k < count; k++) {
    if (k > 0 && le16_at(headers, 4 * k) <= le16_at(headers, 4 * (k - 1))) {
      return corrupt("roaring container keys are not strictly increasing");
    }
    uint32_t card = uint32_t(le16_at(headers, 4 * k + 2)) + 1;
    bool is_run = has_run && (static_cast<unsigned char>(run_flags[k / 8]) >> (k % 8) & 1);
    if (is_run) {
      SILT_TRY(validate_run_container(c, card));
    } else if (card > kMaxArrayCardinality) {
      SILT_TRY(validate_bitset_container(c, card));
    } else {
      SILT_TRY(validate_array_container(c, card));
    }
  }
  return c.pos();
}

// --- DV locations ----------------------------------------------------------------------------

std::string format_uuid(std::string_view b) {
  std::string hex;
  for (size_t i = 0; i < b.size(); i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) hex.push_back('-');
    hex += fmt::format("{:02x}", static_cast<unsigned char>(b[i]));
  }
  return hex;
}

Result<std::string> uuid_file_path(std::string_view z, const std::string& table_root) {
  if (z.size() < kUuidZ85Chars) {
    return corrupt(fmt::format("deletion vector path '{}' is shorter than a Z85 UUID", z));
  }
  std::string_view prefix = z.substr(0, z.size() - kUuidZ85Chars);
  // The prefix becomes a directory name: keep it from climbing out of the table.
  if (prefix.find("..") != std::string_view::npos) {
    return corrupt(fmt::format("deletion vector path prefix '{}' is not a plain directory name", prefix));
  }
  SILT_ASSIGN_OR_RETURN(std::string uuid, named(z85_decode(z.substr(prefix.size())), "deletion vector UUID"));
  std::string file = "deletion_vector_" + format_uuid(uuid) + ".bin";
  return prefix.empty() ? join_path(table_root, file) : join_path(join_path(table_root, prefix), file);
}

Result<std::string> absolute_file_path(std::string_view p, const std::string& table_root) {
  auto uri = p.find(":/");
  if (uri != std::string_view::npos && p.substr(0, uri) != "file") {
    return Error(ErrorKind::Unsupported,
                 fmt::format("deletion vector on unsupported storage '{}': {}", p.substr(0, uri), p));
  }
  if (uri == std::string_view::npos && (p.empty() || p.front() != '/')) {
    return corrupt(fmt::format("deletion vector path '{}' of storage type 'p' is not absolute", p));
  }
  return resolve_log_path(table_root, p);
}

// --- loading ---------------------------------------------------------------------------------

Status check_cardinality(const DeletionVector& dv, const DeletionVectorDescriptor& d,
                         const std::string& name) {
  if (dv.cardinality() == uint64_t(d.cardinality)) return ok_status();
  return corrupt(fmt::format("{}: decodes to {} rows but the descriptor's cardinality is {}", name,
                             dv.cardinality(), d.cardinality));
}

Status check_sizes(const DeletionVectorDescriptor& d, const std::string& name) {
  if (d.size_in_bytes >= 0 && d.cardinality >= 0) return ok_status();
  return corrupt(
      fmt::format("{}: negative sizeInBytes {} or cardinality {}", name, d.size_in_bytes, d.cardinality));
}

Result<DeletionVector> load_inline(const DeletionVectorDescriptor& d) {
  const std::string name = "inline deletion vector";
  SILT_TRY(check_sizes(d, name));
  SILT_ASSIGN_OR_RETURN(std::string raw, named(z85_decode(d.path_or_inline_dv), name));
  // Writers zero-pad to a multiple of 4 before encoding; sizeInBytes is the real length.
  if (raw.size() < size_t(d.size_in_bytes) || raw.size() - size_t(d.size_in_bytes) >= 4) {
    return corrupt(
        fmt::format("{}: decodes to {} bytes but sizeInBytes is {}", name, raw.size(), d.size_in_bytes));
  }
  raw.resize(size_t(d.size_in_bytes));
  SILT_ASSIGN_OR_RETURN(DeletionVector dv, named(DeletionVector::decode(raw), name));
  SILT_TRY(check_cardinality(dv, d, name));
  return dv;
}

// The DV's record (size field, bitmap bytes, checksum) at its offset. The extent is checked against
// the file size first, so a huge sizeInBytes never turns into a huge allocation.
Result<std::string> read_dv_record(const DeletionVectorDescriptor& d, const std::string& path,
                                   const std::string& name, const Storage& storage) {
  // The protocol reads an absent offset as 0, but byte 0 is the version: the only DV of a file
  // starts at 1 (delta-kernel-rs reads on from there too).
  int64_t offset = d.offset.value_or(1);
  if (offset < 1) return corrupt(fmt::format("{}: offset {} is before the first DV", name, offset));
  SILT_ASSIGN_OR_RETURN(FileEntry stat, storage.stat(path));
  uint64_t end = uint64_t(offset) + 8 + uint64_t(d.size_in_bytes);
  if (stat.size < 0 || end > uint64_t(stat.size)) {
    return corrupt(fmt::format("{}: DV at offset {} with {} bytes ends at {}, past the file's {} bytes", name,
                               offset, d.size_in_bytes, end, stat.size));
  }
  SILT_ASSIGN_OR_RETURN(std::string version, storage.read_range(path, 0, 1));
  if (uint8_t(version[0]) != kDvFileVersion) {
    return corrupt(fmt::format("{}: unsupported DV file version {}", name, uint8_t(version[0])));
  }
  return storage.read_range(path, uint64_t(offset), end - uint64_t(offset));
}

// The bitmap bytes of a record, once its size field and CRC-32 agree with the descriptor and data.
// REQUIRES: record.size() == 8 + d.size_in_bytes.
Result<std::string> unwrap_dv_record(const std::string& record, const DeletionVectorDescriptor& d,
                                     const std::string& name) {
  uint32_t stored_size = load_be32(record.data());
  if (stored_size != uint32_t(d.size_in_bytes)) {
    return corrupt(
        fmt::format("{}: size field says {} bytes, descriptor says {}", name, stored_size, d.size_in_bytes));
  }
  std::string_view data(record.data() + 4, size_t(d.size_in_bytes));
  uint32_t stored_crc = load_be32(data.data() + data.size());
  if (uint32_t crc = crc32_of(data); crc != stored_crc) {
    return corrupt(
        fmt::format("{}: checksum mismatch (stored {:08x}, computed {:08x})", name, stored_crc, crc));
  }
  return std::string(data);
}

Result<DeletionVector> load_file(const DeletionVectorDescriptor& d, const std::string& table_root,
                                 const Storage& storage) {
  SILT_ASSIGN_OR_RETURN(std::string path, deletion_vector_file_path(d, table_root));
  const std::string name = "deletion vector " + path;
  SILT_TRY(check_sizes(d, name));
  SILT_ASSIGN_OR_RETURN(std::string record, read_dv_record(d, path, name, storage));
  SILT_ASSIGN_OR_RETURN(std::string data, unwrap_dv_record(record, d, name));
  SILT_ASSIGN_OR_RETURN(DeletionVector dv, named(DeletionVector::decode(data), name));
  SILT_TRY(check_cardinality(dv, d, name));
  return dv;
}

}  // namespace

// --- Z85 -------------------------------------------------------------------------------------

Result<std::string> z85_decode(std::string_view text) {
  if (text.size() % 5 != 0)
    return corrupt(fmt::format("Z85 text length {} is not a multiple of 5", text.size()));
  std::string out;
  out.reserve(text.size() / 5 * 4);
  for (size_t i = 0; i < text.size(); i += 5) {
    uint64_t v = 0;
    for (size_t j = i; j < i + 5; j++) {
      int digit = kZ85Index[static_cast<unsigned char>(text[j])];
      if (digit < 0) {
        return corrupt(fmt::format("invalid Z85 character (code {}) at position {}",
                                   static_cast<unsigned char>(text[j]), j));
      }
      v = v * 85 + uint64_t(digit);
    }
    if (v > UINT32_MAX) return corrupt(fmt::format("Z85 group at position {} exceeds 32 bits", i));
    append_be32(out, uint32_t(v));
  }
  return out;
}

std::string z85_encode(std::string_view bytes) {
  std::string padded;
  if (bytes.size() % 4 != 0) {
    padded.assign(bytes);
    padded.resize((bytes.size() + 3) / 4 * 4, '\0');
    bytes = padded;
  }
  std::string out;
  out.reserve(bytes.size() / 4 * 5);
  for (size_t i = 0; i < bytes.size(); i += 4) {
    uint32_t v = load_be32(bytes.data() + i);
    char group[5];
    for (int j = 4; j >= 0; j--, v /= 85) group[j] = kZ85Chars[v % 85];
    out.append(group, 5);
  }
  return out;
}

Result<std::string> deletion_vector_file_path(const DeletionVectorDescriptor& dv,
                                              const std::string& table_root) {
  switch (dv.storage_type) {
    case 'u':
      return uuid_file_path(dv.path_or_inline_dv, table_root);
    case 'p':
      return absolute_file_path(dv.path_or_inline_dv, table_root);
    case 'i':
      return Error(ErrorKind::InvalidArgument, "an inline deletion vector has no file");
    default:
      return corrupt(fmt::format("unknown deletion vector storage type (code {})",
                                 static_cast<unsigned char>(dv.storage_type)));
  }
}

// --- DeletionVector --------------------------------------------------------------------------

Result<DeletionVector> DeletionVector::load(const DeletionVectorDescriptor& dv, const std::string& table_root,
                                            const Storage& storage) {
  if (dv.storage_type == 'i') return load_inline(dv);
  return load_file(dv, table_root, storage);
}

Result<DeletionVector> DeletionVector::decode(std::string_view bytes) {
  Cursor c(bytes);
  uint32_t magic = 0;
  uint64_t num_buckets = 0;
  if (!c.le(magic)) return corrupt(fmt::format("{} bytes are too short for a DV", bytes.size()));
  if (magic != kDvMagic) return corrupt(fmt::format("bad DV magic number {} (expected {})", magic, kDvMagic));
  if (!c.le(num_buckets)) return corrupt("truncated DV bucket count");
  if (num_buckets > c.remaining() / kMinBucketBytes) {
    return corrupt(fmt::format("DV claims {} buckets in {} bytes", num_buckets, c.remaining()));
  }
  DeletionVector dv;
  int64_t prev_key = -1;
  for (uint64_t i = 0; i < num_buckets; i++) {
    uint32_t key = 0;
    if (!c.le(key)) return corrupt("truncated DV bucket key");
    if (key > uint32_t(INT32_MAX)) return corrupt(fmt::format("DV bucket key {} has its top bit set", key));
    if (int64_t(key) <= prev_key) return corrupt("DV bucket keys are not strictly increasing");
    prev_key = key;
    SILT_ASSIGN_OR_RETURN(size_t length, validate_roaring32(c.rest()));
    std::string_view body;
    (void)c.take(length, body);  // validate_roaring32 proved it fits
    // deserialize_size repeats CRoaring's own bounds walk silently; it must agree with ours.
    if (roaring_bitmap_portable_deserialize_size(body.data(), body.size()) != length) {
      return corrupt("DV bucket rejected by the roaring library");
    }
    Bitmap bitmap(roaring_bitmap_portable_deserialize_safe(body.data(), body.size()));
    if (!bitmap) return corrupt("DV bucket could not be deserialized");
    if (!roaring_bitmap_is_empty(bitmap.get())) dv.buckets_.push_back(Bucket{key, std::move(bitmap)});
  }
  if (c.remaining() != 0) return corrupt(fmt::format("{} trailing bytes after the DV", c.remaining()));
  return dv;
}

std::string DeletionVector::encode() const {
  std::string out;
  append_le<uint32_t>(out, kDvMagic);
  append_le<uint64_t>(out, buckets_.size());
  for (const Bucket& b : buckets_) {
    append_le<uint32_t>(out, b.key);
    // Run-optimize a copy: const stays const, and ranges of deleted rows shrink to a few bytes.
    Bitmap optimized(roaring_bitmap_copy(b.bitmap.get()));
    const roaring_bitmap_t* source = optimized ? optimized.get() : b.bitmap.get();
    if (optimized) roaring_bitmap_run_optimize(optimized.get());
    size_t start = out.size();
    out.resize(start + roaring_bitmap_portable_size_in_bytes(source));
    roaring_bitmap_portable_serialize(source, out.data() + start);
  }
  return out;
}

const DeletionVector::Bucket* DeletionVector::find(uint32_t key) const {
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), key,
                             [](const Bucket& b, uint32_t k) { return b.key < k; });
  return it != buckets_.end() && it->key == key ? &*it : nullptr;
}

bool DeletionVector::contains(uint64_t row) const {
  const Bucket* b = find(uint32_t(row >> 32));
  return b && roaring_bitmap_contains(b->bitmap.get(), uint32_t(row));
}

uint64_t DeletionVector::cardinality() const {
  uint64_t total = 0;
  for (const Bucket& b : buckets_) total += roaring_bitmap_get_cardinality(b.bitmap.get());
  return total;
}

std::vector<uint64_t> DeletionVector::rows() const {
  std::vector<uint64_t> out;
  out.reserve(cardinality());
  std::vector<uint32_t> low;
  for (const Bucket& b : buckets_) {
    low.resize(roaring_bitmap_get_cardinality(b.bitmap.get()));
    roaring_bitmap_to_uint32_array(b.bitmap.get(), low.data());  // safe: invariant 4
    for (uint32_t v : low) out.push_back(uint64_t(b.key) << 32 | v);
  }
  return out;
}

void DeletionVector::add(uint64_t row) {
  uint32_t key = uint32_t(row >> 32);
  auto it = std::lower_bound(buckets_.begin(), buckets_.end(), key,
                             [](const Bucket& b, uint32_t k) { return b.key < k; });
  if (it == buckets_.end() || it->key != key) {
    Bitmap bitmap(roaring_bitmap_create());
    if (!bitmap) throw std::bad_alloc();  // as operator new would
    it = buckets_.insert(it, Bucket{key, std::move(bitmap)});
  }
  roaring_bitmap_add(it->bitmap.get(), uint32_t(row));
}

// --- DV files --------------------------------------------------------------------------------

Result<EncodedDvFile> encode_dv_file(std::span<const std::string> bitmaps) {
  EncodedDvFile file;
  file.bytes.push_back(char(kDvFileVersion));
  for (const std::string& b : bitmaps) {
    if (file.bytes.size() + b.size() + 8 > size_t(INT32_MAX)) {
      return Error(ErrorKind::InvalidArgument, "deletion vector file would exceed 2 GiB");
    }
    file.offsets.push_back(int32_t(file.bytes.size()));
    append_be32(file.bytes, uint32_t(b.size()));
    file.bytes += b;
    append_be32(file.bytes, crc32_of(b));
  }
  return file;
}

}  // namespace silt::delta
