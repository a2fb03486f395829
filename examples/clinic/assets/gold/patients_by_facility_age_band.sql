-- Distinct patients seen per facility and age band.
-- check: not_null(facility_id); row_count(min=1)
SELECT
  facility_id,
  facility_name,
  age_band,
  count(DISTINCT patient_id) AS patients,
  count(*) AS visits
FROM visits
GROUP BY ALL
