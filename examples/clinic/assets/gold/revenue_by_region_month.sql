-- Money per region and month: what was billed, what is paid, and the visits behind it.
-- check: not_null(region); not_null(month); row_count(min=1)
SELECT
  region,
  date_trunc('month', visit_date)::DATE AS month,
  count(*) AS visits,
  sum(amount) AS billed,
  sum(amount) FILTER (WHERE status = 'paid') AS paid
FROM visits
GROUP BY ALL
