// Deletion vectors (PROTOCOL.md "Deletion Vectors", "Deletion Vector Format"): the set of deleted row
// indexes of one data file, read from inline Z85 text or a DV file. All bytes are untrusted: they are
// validated in full before CRoaring sees them. Value types; const methods are safe from many threads.
#pragma once

#include <roaring/roaring.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "delta/model/actions.h"
#include "util/result.h"
#include "util/storage.h"

namespace silt::delta {

// Z85 (ZeroMQ RFC 32), the base-85 variant Delta uses for inline DVs and DV file UUIDs.
// Decode: Corruption unless the length is a multiple of 5, every char is in the alphabet and every
// 5-char group fits in 32 bits.
Result<std::string> z85_decode(std::string_view text);
// Encode: input whose length is a multiple of 4; other lengths are zero-padded to one first, as
// Delta's inline DV writer does (the descriptor's sizeInBytes then tells the real length).
std::string z85_encode(std::string_view bytes);

// Local file holding a 'u' or 'p' DV:
//   'u': <table_root>/<prefix>/deletion_vector_<uuid>.bin, uuid = Z85 of the last 20 chars;
//   'p': an absolute path or file:// URI, URL-decoded.
// Unsupported (naming the scheme) for other URI schemes; InvalidArgument for inline ('i') DVs;
// Corruption for a malformed descriptor.
Result<std::string> deletion_vector_file_path(const DeletionVectorDescriptor& dv,
                                              const std::string& table_root);

// Set of deleted row indexes, kept as 32-bit roaring bitmaps keyed by the high 32 bits of the row
// index (the "RoaringBitmapArray" of the protocol).
// Invariants:
//   1. bucket keys are strictly increasing;
//   2. every key is < 2^31 (the protocol's "most significant bit is 0" rule);
//   3. no bucket is empty;
//   4. every bitmap came from CRoaring itself or passed validate-then-deserialize, so its
//      containers are well formed (sorted arrays, bitset popcounts equal the stated cardinality).
// Move-only: it owns C bitmaps.
class DeletionVector {
 public:
  DeletionVector() = default;

  // Reads and checks the DV a descriptor points to: file DVs are read through `storage` (version
  // byte, size field equal to sizeInBytes, CRC-32), inline DVs are Z85-decoded; in both cases the
  // decoded cardinality must equal the descriptor's. Corruption, naming the DV, on any mismatch.
  static Result<DeletionVector> load(const DeletionVectorDescriptor& dv, const std::string& table_root,
                                     const Storage& storage);
  // Parses serialized bytes: 4-byte magic 1681511377, then the portable 64-bit roaring format.
  // Corruption on any malformed or trailing byte.
  static Result<DeletionVector> decode(std::string_view bytes);
  // The format decode() reads, run-length optimized.
  std::string encode() const;

  bool contains(uint64_t row) const;
  uint64_t cardinality() const;
  bool empty() const { return buckets_.empty(); }
  // All deleted row indexes, ascending.
  std::vector<uint64_t> rows() const;
  // REQUIRES: row < 2^63 (invariant 2). Row indexes of a parquet file are far below that.
  void add(uint64_t row);

 private:
  struct RoaringFree {
    void operator()(roaring_bitmap_t* r) const { roaring_bitmap_free(r); }
  };
  using Bitmap = std::unique_ptr<roaring_bitmap_t, RoaringFree>;
  struct Bucket {
    uint32_t key = 0;  // high 32 bits of every row in `bitmap`
    Bitmap bitmap;
  };

  const Bucket* find(uint32_t key) const;

  std::vector<Bucket> buckets_;
};

// A DV file image (PROTOCOL.md "Deletion Vector File Storage Format"): version byte 1, then per DV a
// big-endian size, the bytes, and a big-endian CRC-32 of the bytes.
struct EncodedDvFile {
  std::string bytes;
  std::vector<int32_t> offsets;  // per input, the descriptor `offset` (start of its size field)
};
// `bitmaps` are DeletionVector::encode() outputs. InvalidArgument if the file would exceed 2 GiB,
// since descriptor offsets and sizes are 32-bit.
Result<EncodedDvFile> encode_dv_file(std::span<const std::string> bitmaps);

}  // namespace silt::delta
