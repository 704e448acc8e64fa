"""Red Bench service: the command line now; the litestar application, storage and pages next."""
