-- The source a day later, for the demo's second run: 5,000 new billing rows (newer updated_at,
-- so an incremental ingest picks up exactly these) and a new column, referral_code, that the
-- pipeline has never seen.
ALTER TABLE billing ADD COLUMN referral_code TEXT;

WITH RECURSIVE n(i) AS (SELECT 250001 UNION ALL SELECT i + 1 FROM n WHERE i < 255000)
INSERT INTO billing
SELECT i,
       1 + (i * 7) % 3000,
       1 + (i * 13) % 40,
       date('2026-01-01', '+' || (i % 30) || ' days'),
       10 + (i * 31) % 111,
       ((10 + (i * 31) % 111) * 150 + (i % 100)) / 100.0,
       CASE WHEN i % 17 = 0 THEN 'open' ELSE 'paid' END,
       datetime('2026-02-01 08:00:00', '+' || (i % 600) || ' minutes'),
       'REF-' || (i % 97)
FROM n;
