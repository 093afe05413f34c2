"""E-mail: the mail outbox (write once by key, claim, record) and each row built as a proper
bulk message. No network here: the SMTP sender is bot/mailer.py."""
