UPDATE runs SET status = 'running', finished_at = NULL; DELETE FROM samples WHERE repetition = 2;
