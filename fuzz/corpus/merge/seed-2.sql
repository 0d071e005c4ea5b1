UPDATE samples SET ts = 'abc';
