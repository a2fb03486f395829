-- One row per billed visit, with the facility's name and region and the patient's age band
-- (from the birth year bronze keeps). Cleaned: status trimmed and lower-cased; lines without
-- care time or with a negative amount are left out.
-- check: not_null(billing_id); unique(billing_id); not_null(region); not_null(age_band)
-- check: accepted_values(status, 'paid', 'open', 'disputed')
SELECT
  b.billing_id,
  b.visit_date,
  b.facility_id,
  f.name AS facility_name,
  f.region,
  b.patient_id,
  CASE
    WHEN year(b.visit_date) - year(p.birth_date) < 18 THEN '0-17'
    WHEN year(b.visit_date) - year(p.birth_date) < 40 THEN '18-39'
    WHEN year(b.visit_date) - year(p.birth_date) < 65 THEN '40-64'
    ELSE '65+'
  END AS age_band,
  b.care_minutes,
  b.amount,
  lower(trim(b.status)) AS status
FROM billing b
JOIN facilities f USING (facility_id)
JOIN patients p USING (patient_id)
WHERE b.care_minutes > 0 AND b.amount >= 0
