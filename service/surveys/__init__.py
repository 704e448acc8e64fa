"""Site surveys (现场踏勘) before a process's meeting: who looked, when, what they noted and
measured, and their photos."""
