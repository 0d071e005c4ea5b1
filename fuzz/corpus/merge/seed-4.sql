UPDATE results SET avg_ts = -1;
