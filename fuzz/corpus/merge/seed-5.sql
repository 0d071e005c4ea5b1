UPDATE runs SET uid = NULL;
