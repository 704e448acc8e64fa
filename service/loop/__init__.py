"""The loop after the decision: implementation tasks with notes and photos, residents'
feedback, the close-out (销号) and the public board."""
