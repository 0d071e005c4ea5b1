UPDATE loads SET run_id = 42;
