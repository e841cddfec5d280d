-- pgbench reference: one daily-update upsert per transaction, keyed on (person, day) like the
-- product's hot path. Days are far in the future (bench/measure.py deletes them afterwards).
\set pid random(1, :maxpid)
\set d random(1000, 101000)
INSERT INTO monitoring_dailyupdate (person_id, day, symptoms, temperature, feeling, updated_as, created_at, updated_at)
VALUES (:pid, current_date + :d, '[]', 36.6, 'well', 'self', now(), now())
ON CONFLICT (person_id, day) DO UPDATE SET updated_at = EXCLUDED.updated_at;
