SELECT p FROM known
WHERE p IN (SELECT p FROM numbers WHERE field = 'spend' AND v BETWEEN -50 AND 500)
   OR p NOT IN (SELECT p FROM tags WHERE key = 'city' AND value IN ('shanghai', 'beijing'))
ORDER BY p
