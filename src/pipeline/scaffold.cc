// The example project of `silt pipeline init`. See scaffold.h.
#include "pipeline/scaffold.h"

#include <filesystem>
#include <fstream>
#include <utility>
#include <vector>

namespace silt::pipeline {
namespace fs = std::filesystem;
namespace {

const char* const kToml = R"(# silt pipeline project: see docs/PIPELINES.md
lake = "lake"

[defaults]
retries = 1
retry_backoff_ms = 500

[pii]
# HMAC key for hashed columns: export SILT_PII_KEY=$(openssl rand -hex 32)
key_env = "SILT_PII_KEY"

[sources.raw]
kind = "files"
path = "data"
format = "csv"

[schedules.nightly]
cron = "0 2 * * *"
select = ["layer:bronze+"]
)";

const char* const kPatients = R"(patient_id,name,phone,birth_date,city
1,Ada Lovelace,+44 20 7946 0001,1985-12-10,London
2,Alan Turing,+44 20 7946 0002,1992-06-23,Manchester
3,Grace Hopper,+1 212 555 0003,1976-12-09,New York
4,Edsger Dijkstra,+31 20 555 0004,1990-05-11,Amsterdam
)";

const char* const kVisits = R"(visit_id,patient_id,visited_at,amount,status
100,1,2026-01-05 09:00:00,120.00,paid
101,2,2026-01-17 10:30:00,80.50,paid
102,1,2026-02-02 14:00:00,45.00,open
103,3,2026-02-20 08:15:00,200.00,paid
104,4,2026-03-01 16:45:00,99.99,paid
105,2,2026-03-12 11:00:00,60.00,open
)";

const char* const kBronzePatients =
    R"(-- Patients as the clinic exports them, names hashed and phones masked on the way in.
-- source: raw.patients
-- pii: name = hash, phone = mask(4)
-- check: not_null(patient_id); unique(patient_id)
SELECT * FROM source
)";

const char* const kBronzeVisits =
    R"(-- Visits, loaded incrementally: each run appends the rows newer than the last one loaded.
-- source: raw.visits
-- watermark: visited_at
-- mode: append
-- check: not_null(visit_id); unique(visit_id)
SELECT * FROM source
)";

const char* const kSilverVisits = R"(-- Visits with the patient's city; only known patients.
-- check: accepted_values(status, 'open', 'paid'); sql(SELECT * FROM self WHERE amount < 0)
SELECT v.visit_id, v.patient_id, p.city, v.visited_at, CAST(v.amount AS DECIMAL(12, 2)) AS amount, v.status
FROM visits v
JOIN patients p USING (patient_id)
)";

const char* const kGoldRevenue = R"(-- Paid revenue per city and month.
-- check: row_count(min=1)
SELECT city, date_trunc('month', visited_at)::DATE AS month, sum(amount) AS revenue, count(*) AS visits
FROM visits_by_city
WHERE status = 'paid'
GROUP BY ALL
ORDER BY city, month
)";

}  // namespace

Status scaffold_project(const std::string& dir) {
  if (fs::exists(fs::path(dir) / "silt.toml"))
    return Error(ErrorKind::Conflict, dir + " already has a silt.toml; init writes new projects only");
  const std::vector<std::pair<std::string, const char*>> files{
      {"silt.toml", kToml},
      {".gitignore", "lake/\n"},
      {"data/patients.csv", kPatients},
      {"data/visits.csv", kVisits},
      {"assets/bronze/patients.sql", kBronzePatients},
      {"assets/bronze/visits.sql", kBronzeVisits},
      {"assets/silver/visits_by_city.sql", kSilverVisits},
      {"assets/gold/revenue_by_city_month.sql", kGoldRevenue},
  };
  for (const auto& [rel, text] : files) {
    fs::path path = fs::path(dir) / rel;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out.good()) return Error(ErrorKind::Io, "cannot write " + path.string());
  }
  return ok_status();
}

}  // namespace silt::pipeline
