"""One module per feature of the Telegram face: parse the update, one tracker call, render."""
