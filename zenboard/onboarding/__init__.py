"""Getting a project ready: `zenboard init`'s reading of it, `audit`, the demo's npm."""
