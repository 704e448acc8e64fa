"""Staff authentication and roles: hashed passwords, bearer tokens or a session cookie, and
one guard that enforces the roles every endpoint declares."""
