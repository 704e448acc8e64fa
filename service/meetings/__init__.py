"""Bench meetings (议事), policy briefings (宣讲) and visits (走访): the meeting itself, its
agenda, attendance, photos, minutes drafted from what the meeting produced, and the printed
sign-in sheet and meeting record."""
