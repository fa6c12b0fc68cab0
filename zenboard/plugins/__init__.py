"""Everything loaded inside test processes: the pytest plugins and the Playwright reporter.

They import nothing of zenboard's but `wire` (an import contract in pyproject.toml): a test
process must not pay for, or break on, the rest of zenboard.
"""
