INSERT INTO samples (result_id, repetition, ns, ts) SELECT result_id, repetition + 3, ns, ts * 1000 FROM samples;
