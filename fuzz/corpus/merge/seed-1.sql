UPDATE samples SET ts = 1e308;
