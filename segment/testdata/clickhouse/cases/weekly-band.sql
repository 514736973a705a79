SELECT p FROM events WHERE event = 'visit' AND toDate(ts, 'UTC') BETWEEN toDate('2026-11-23') - 6 AND toDate('2026-11-23')
GROUP BY p HAVING count() BETWEEN 2 AND 4 ORDER BY p
