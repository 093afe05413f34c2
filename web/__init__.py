"""The public portal: `kume web` (Starlette served by uvicorn) and `kume archive build` (the same
pages as a static site). A face like the bot: it reads through tracker (tracker.portal,
tracker.health) and renders templates/web/; tracker never imports it.

    links.py     where each page is: a route of the live site, a file of the static one
    pages.py     each page rendered to a string, for both
    app.py       the Starlette application: routes, the unsubscribe form, /healthz, 404 and 500
    server.py    uvicorn on [web] listen and port
    archive.py   the static site written to a directory
"""
