"""A task worktree's identity, `.env.task`, ports and their registry, Compose, containers."""
