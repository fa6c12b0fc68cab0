"""How a suite becomes a command line and an environment: pytest, or Playwright."""
