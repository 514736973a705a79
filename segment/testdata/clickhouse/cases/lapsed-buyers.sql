SELECT p FROM events WHERE event = 'purchase' AND toDate(ts, 'UTC') <= toDate('2026-11-23')
  AND p NOT IN (SELECT p FROM events WHERE event = 'visit' AND toDate(ts, 'UTC') BETWEEN toDate('2026-11-23') - 6 AND toDate('2026-11-23'))
GROUP BY p HAVING max(toDate(ts, 'UTC')) < toDate('2026-11-23') - 29 ORDER BY p
