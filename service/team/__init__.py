"""The red-bench team (红板凳队伍) of a community: its members with their role, grid and
phone, and each grid's card "有事请找我" on the public board (a phone number there only
with the member's recorded consent)."""
