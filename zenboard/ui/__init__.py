"""The Textual dashboard: a view of the run model that drives the engine from the keyboard.

Only `zenboard launch` and `zenboard demo` import this package; headless commands never do.
"""
