SELECT p FROM events WHERE event = 'purchase' AND toDate(ts, 'UTC') <= toDate('2026-11-23')
GROUP BY p HAVING min(toDate(ts, 'UTC')) >= toDate('2026-11-23') - 13 ORDER BY p
