"""The history's two databases behind one small interface (`protocol.HistoryStore`): the SQLite
file, the embedded default, and a team's PostgreSQL; their schema and migrations."""
