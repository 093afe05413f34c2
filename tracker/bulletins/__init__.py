"""E-bulletins: a period's draft drawn from the database (draft.py), its Telegram, e-mail and
plain-text versions (render.py), the agency's news items and the bulletin's life from draft to
sent (store.py), and sending it by Telegram and e-mail (send.py)."""
