"""The task's Compose project: which Compose, which files, the port override, up, down, health."""
