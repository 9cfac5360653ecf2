"""The picture server: REST and a WebSocket stream over the live or replayed picture
(FastAPI + uvicorn), with role-based tokens. See docs/api.md."""
