SELECT p FROM events WHERE event = 'visit' AND toDate(ts, 'UTC') BETWEEN toDate('2026-11-23') - 13 AND toDate('2026-11-23')
  AND p IN (SELECT p FROM events WHERE event = 'purchase' AND toDate(ts, 'UTC') <= toDate('2026-11-23'))
GROUP BY p HAVING uniqExact(toDate(ts, 'UTC')) = 1 ORDER BY p
