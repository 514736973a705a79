SELECT p FROM known
WHERE p IN (SELECT p FROM numbers WHERE field = 'spend' AND v < 0)
  AND p NOT IN (SELECT p FROM numbers WHERE field = 'score' AND v >= 500)
  AND p IN (SELECT p FROM tags WHERE key = 'plan' AND value IN ('free', 'team'))
ORDER BY p
