SELECT p FROM events WHERE event = 'visit' AND toDate(ts, 'UTC') BETWEEN toDate('2026-11-23') - 29 AND toDate('2026-11-23')
GROUP BY p HAVING uniqExact(toDate(ts, 'UTC')) >= 3 ORDER BY p
