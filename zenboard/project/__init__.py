"""Where the project is, where zenboard keeps its files there, and what git says of it."""
