"""Staff accounts: sign in and out, and user management by the admin."""
