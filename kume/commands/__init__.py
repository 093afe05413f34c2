"""The commands of `kume`, one small module per group; kume.cli adds each to the root group.

Each module imports only click and kume.app at the top: a command imports the tracker or bot
code it uses when it runs, so `kume --help` loads no database, Telegram or pandas code.
"""
