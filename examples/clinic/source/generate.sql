-- The demo's operational source: a synthetic clinic billing database (SQLite), the seed
-- system's story in miniature. Deterministic (no random()): every value is arithmetic on row
-- numbers, so tests can recompute the expected gold figures from the same rows.
-- Sizes: 3,000 patients, 40 facilities, 250,000 billing rows over 2025.
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;

CREATE TABLE facilities (
  facility_id INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  region      TEXT NOT NULL
);
CREATE TABLE patients (
  patient_id INTEGER PRIMARY KEY,
  full_name  TEXT NOT NULL,
  birth_date DATE NOT NULL,
  postcode   TEXT NOT NULL,
  phone      TEXT,
  updated_at TIMESTAMP NOT NULL
);
CREATE TABLE billing (
  billing_id   INTEGER PRIMARY KEY,
  patient_id   INTEGER NOT NULL,
  facility_id  INTEGER NOT NULL,
  visit_date   DATE NOT NULL,
  care_minutes INTEGER NOT NULL,
  amount       DECIMAL(10, 2) NOT NULL,
  status       TEXT NOT NULL,
  updated_at   TIMESTAMP NOT NULL
);

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO facilities
SELECT i,
       'Clinic ' || char(64 + (i - 1) % 26 + 1) || ' ' || i,
       CASE i % 4 WHEN 0 THEN 'North' WHEN 1 THEN 'South' WHEN 2 THEN 'East' ELSE 'West' END
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000),
first(k, v) AS (VALUES (0, 'Anna'), (1, 'Bram'), (2, 'Chloé'), (3, 'Dmitri'), (4, 'Eva'),
                       (5, 'François'), (6, 'Grete'), (7, 'Hiroshi'), (8, 'Inês'), (9, 'Jan'),
                       (10, 'Zoë'), (11, 'Søren')),
last(k, v) AS (VALUES (0, 'de Vries'), (1, 'Müller'), (2, 'Jansen'), (3, 'Østergaard'),
                      (4, 'Bakker'), (5, 'Nakamura'), (6, 'Visser'), (7, 'Smit'), (8, 'Peeters'),
                      (9, 'Łukasik'), (10, 'Meijer'))
INSERT INTO patients
SELECT i,
       (SELECT v FROM first WHERE k = i % 12) || ' ' || (SELECT v FROM last WHERE k = (i / 12) % 11),
       date('1935-01-01', '+' || ((i * 7919) % 29000) || ' days'),
       printf('%04d %s%s', 1000 + (i * 37) % 9000, char(65 + i % 26), char(65 + (i / 26) % 26)),
       CASE WHEN i % 10 = 0 THEN NULL ELSE printf('+31 6 %08d', (i * 104729) % 100000000) END,
       '2025-01-01 00:00:00'
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 250000)
INSERT INTO billing
SELECT i,
       1 + (i * 7) % 3000,
       1 + (i * 13) % 40,
       date('2025-01-01', '+' || (i % 365) || ' days'),
       10 + (i * 31) % 111,
       ((10 + (i * 31) % 111) * 150 + (i % 100)) / 100.0,
       CASE WHEN i % 17 = 0 THEN 'open' WHEN i % 5 = 0 THEN 'disputed' ELSE 'paid' END,
       datetime('2025-01-01 08:00:00', '+' || (i % 365) || ' days', '+' || (i % 600) || ' minutes')
FROM n;
