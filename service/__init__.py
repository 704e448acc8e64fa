"""Red Bench service: the litestar application, its storage and pages, and the command line.
Importing the package imports nothing: a command imports only what it uses."""
