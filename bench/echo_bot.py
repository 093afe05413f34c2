"""The baseline of bench.throughput: a bare python-telegram-bot echo bot, as PTB's docs write it.

    ECHO_TOKEN=… ECHO_BASE_URL=http://127.0.0.1:PORT/bot [ECHO_CONCURRENT=8] \
        python -m bench.echo_bot

PTB's defaults (one update at a time) unless ECHO_CONCURRENT names a number of updates at once.
"""

import os

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None
    await update.message.reply_text(update.message.text or "")


def main() -> None:
    base = os.environ["ECHO_BASE_URL"]
    builder = Application.builder().token(os.environ["ECHO_TOKEN"]).base_url(base)
    concurrent = int(os.environ.get("ECHO_CONCURRENT", "0"))
    if concurrent:
        builder = builder.concurrent_updates(concurrent)
    app = builder.base_file_url(base.replace("/bot", "/file/bot")).build()
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    app.run_polling(allowed_updates=Update.ALL_TYPES)


if __name__ == "__main__":
    main()
