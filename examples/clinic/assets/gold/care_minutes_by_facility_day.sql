-- Care delivered: minutes and visits per facility per day.
-- check: not_null(facility_id); not_null(visit_date); row_count(min=1)
-- check: sql(SELECT facility_id, visit_date FROM self GROUP BY ALL HAVING count(*) > 1)
SELECT
  facility_id,
  facility_name,
  visit_date,
  count(*) AS visits,
  sum(care_minutes) AS care_minutes
FROM visits
GROUP BY ALL
