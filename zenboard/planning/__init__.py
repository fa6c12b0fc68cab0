"""What to run before it runs: collection, the run plan, schedules and shards."""
