DROP TABLE samples; CREATE VIEW samples AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x AS id, 1 AS result_id, 0 AS repetition, 1 AS ns, 1.0 AS ts FROM c;
