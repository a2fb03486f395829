// Metadata cleanup (PROTOCOL.md "Metadata Cleanup") and the retention table properties it and VACUUM
// read. Cleanup never leaves the log unreadable: the oldest version it keeps is always a checkpoint,
// followed by every commit after it. Stateless; thread-safe given a thread-safe Storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "delta/log/log_listing.h"
#include "delta/model/actions.h"
#include "util/result.h"
#include "util/storage.h"

namespace silt::delta {

inline constexpr int64_t kMsPerHour = 3'600'000;
inline constexpr int64_t kMsPerDay = 24 * kMsPerHour;

// Table properties holding durations, with Delta's defaults. They are Delta (Spark) conventions that
// PROTOCOL.md leaves to writers; delta-rs honours the same names.
inline constexpr std::string_view kLogRetentionKey = "delta.logRetentionDuration";
inline constexpr int64_t kDefaultLogRetentionMs = 30 * kMsPerDay;
inline constexpr std::string_view kDeletedFileRetentionKey = "delta.deletedFileRetentionDuration";
inline constexpr int64_t kDefaultDeletedFileRetentionMs = 7 * kMsPerDay;
// Unset by default: app transactions (txn) never expire unless the table sets it.
inline constexpr std::string_view kSetTransactionRetentionKey = "delta.setTransactionRetentionDuration";

// Parses a duration as Delta table properties spell it (Spark's CalendarInterval text): an optional
// "interval", then one or more "<integer> <unit>" pairs, e.g. "interval 1 week", "30 days",
// "interval 1 day 12 hours". Units microsecond, millisecond, second, minute, hour, day, week, singular or
// plural, any case. InvalidArgument on anything else, including months and years (no fixed length)
// and negative amounts. Sub-millisecond remainders are dropped.
Result<int64_t> parse_interval_ms(std::string_view text);

// The duration table property `key` in ms, or `default_ms` when the table does not set it.
// InvalidArgument naming the property when its value does not parse.
Result<int64_t> table_duration_ms(const Metadata& metadata, std::string_view key, int64_t default_ms);

// Deletes the _delta_log files no kept version needs. The cutoff is midnight UTC at or before
// now_ms - retention_ms; the cutoff commit is the newest commit whose modification time (made
// monotonic, as time travel reads it) is not after it; the cutoff checkpoint is the newest complete
// checkpoint not newer than that commit. Deleted: commits, checkpoints (complete or not), checksum
// (.crc) files of versions below the cutoff checkpoint, and log compactions starting at or below it,
// in ascending version order so that an interrupted cleanup still leaves a readable log. Kept:
// everything from the cutoff checkpoint on, _last_checkpoint, _sidecars, temp files. Without a
// cutoff checkpoint nothing is deleted. Returns the number of files deleted.
// REQUIRES: retention_ms >= 0 (else InvalidArgument); `listing` is a listing of the log taken now.
Result<size_t> cleanup_expired_logs(const LogListing& listing, Storage& storage, int64_t now_ms,
                                    int64_t retention_ms);

}  // namespace silt::delta
