"""The portal's JSON API under /api/v1/: each app declares its endpoints in its own ``api.py`` and this package
gathers them (``urls.py``), with the OpenAPI 3 document and its browsable documentation."""
