"""What the dashboard shows besides the run: the task's ports and containers, the history."""
