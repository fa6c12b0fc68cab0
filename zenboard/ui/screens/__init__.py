"""The dashboard's screens besides the main one: test details and help."""
