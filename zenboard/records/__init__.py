"""What a run leaves behind: reports, their merge, the history database and durations."""
