"""Integrations behind small interfaces: reports, tasks and ports, containers, watch, history."""
