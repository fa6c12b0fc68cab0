"""Old module paths, kept as shims for command lines that name them with `-p`.

zenboard once kept its pytest plugins here; a saved command line (the dashboard shows the one it
runs) may still say `-p zenboard.integrations.order_plugin`. The code lives in `zenboard.plugins`.
"""
