"""Request and response bodies of the API (pydantic v2). Requests forbid unknown fields, so a
misspelt field is a 422 naming it, not silently ignored."""
