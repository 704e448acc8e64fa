"""The secret ballot: one-time voter codes, casting through the group-commit writer, turnout."""
