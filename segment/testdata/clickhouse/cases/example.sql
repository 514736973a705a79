SELECT p FROM known
WHERE p IN (SELECT p FROM tags WHERE key = 'plan' AND value = 'pro')
  AND p NOT IN (SELECT p FROM tags WHERE key = 'tag' AND value = 'churned')
  AND p IN (SELECT p FROM numbers WHERE field = 'spend' AND v >= 100)
  AND (p IN (SELECT p FROM events WHERE event = 'visit' AND toDate(ts, 'UTC') BETWEEN toDate('2026-11-23') - 29 AND toDate('2026-11-23') GROUP BY p HAVING count() >= 2)
       OR p IN (SELECT p FROM events WHERE event = 'purchase' AND toDate(ts, 'UTC') BETWEEN toDate('2026-11-23') - 89 AND toDate('2026-11-23')))
  AND p IN (SELECT p FROM numbers WHERE field = 'score' AND v > 700)
ORDER BY p
