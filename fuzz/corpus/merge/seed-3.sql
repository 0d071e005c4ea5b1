UPDATE samples SET ts = 1e-300;
