"""The deadline-risk digest: which of a member's clients will miss their filing deadline."""
