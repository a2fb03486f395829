-- Patients as the clinic system keeps them, anonymized before anything is written:
-- names become keyed hashes (still joinable), birth dates keep the year, postcodes keep
-- the area (first two characters), phones keep their last four digits.
-- source: clinic.patients
-- pii: full_name = hash, birth_date = generalize(year), postcode = generalize(prefix:2), phone = mask(4)
-- check: not_null(patient_id); unique(patient_id); not_null(birth_date)
-- check: row_count(min=1)
SELECT patient_id, full_name, birth_date, postcode, phone, updated_at FROM source
