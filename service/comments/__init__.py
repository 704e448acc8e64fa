"""Comments in a round's comment phase: stance, prompt, replies, and hiding with the reason
kept (the text is never deleted)."""
