UPDATE results SET model_size = 9223372036854775807, n_threads = 'many';
