"""Decoding of Bot API request parameters, in whatever encoding the client chose.

PTB 22's ``HTTPXRequest`` POSTs ``RequestData.json_parameters`` as
``application/x-www-form-urlencoded`` (or ``multipart/form-data`` when a file is
uploaded): string values are sent verbatim, everything else (ints, bools, dicts such as
``reply_markup``) as JSON text.  Other clients send a JSON body or a query string; all
three are accepted, like the real Bot API does.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

# Parameters that are strings in the Bot API: never JSON-decoded, so that text="123" or
# text="true" stays a string.  Everything else is JSON-decoded when it parses as JSON.
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "url",
        "callback_query_id",
        "file_id",
        "language_code",
        "action",
        "inline_message_id",
        "document",
        "photo",
        "thumbnail",
        "secret_token",
        "ip_address",
        "business_connection_id",
        "message_effect_id",
        "description",
        "short_description",
        "name",
        "emoji",
    }
)


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes

    def summary(self) -> dict:
        """What the call log records instead of the raw bytes."""
        return {"upload": self.filename, "size": len(self.data), "mime_type": self.content_type}


def decode_value(name: str, value: str) -> Any:
    """Turn one form field into its Bot API type."""
    if name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Return ``(params, uploads)``; uploads are keyed by their multipart field name."""
    params: dict[str, Any] = {k: decode_value(k, v) for k, v in request.query.items()}
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return params, uploads
    if request.content_type == "application/json":
        body = await request.json()
        if isinstance(body, dict):
            params.update(body)
        return params, uploads
    form = await request.post()
    for key, value in form.items():
        if isinstance(value, FileField):
            uploads[key] = Upload(
                filename=value.filename or key,
                content_type=value.content_type or "application/octet-stream",
                data=value.file.read(),
            )
        elif isinstance(value, bytes | bytearray):
            params[key] = decode_value(key, bytes(value).decode("utf-8"))
        else:
            params[key] = decode_value(key, value)
    return params, uploads


def resolve_input_file(
    params: dict[str, Any], uploads: dict[str, Upload], name: str
) -> Upload | str | None:
    """The file given for parameter ``name``: an upload (direct or ``attach://``) or a string.

    PTB uploads single files under the parameter's own name and secondary files (like
    thumbnails) under a random name referenced as ``attach://<name>``.
    """
    if name in uploads:
        return uploads[name]
    value = params.get(name)
    if isinstance(value, str) and value.startswith("attach://"):
        return uploads.get(value.removeprefix("attach://"))
    return value if isinstance(value, str) else None


def log_view(params: dict[str, Any], uploads: dict[str, Upload]) -> dict[str, Any]:
    """Params for ``api.calls``: decoded values with uploads summarised."""
    view = dict(params)
    for key, upload in uploads.items():
        view[key] = upload.summary()
    return view
