"""The interactive API docs at ``/docs``: Swagger UI over ``/openapi.json``, its script and stylesheet
served from the dashboard's built assets (``static/swagger/``, from npm's swagger-ui-dist), never from
a CDN."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse

SWAGGER = "swagger"
ASSETS = ("swagger-ui-bundle.js", "swagger-ui.css")


def add_docs_page(app: FastAPI, static_dir: Path | None) -> None:
    @app.get("/docs", include_in_schema=False, response_model=None)
    async def docs() -> HTMLResponse | JSONResponse:
        if static_dir is None or not all((static_dir / SWAGGER / a).is_file() for a in ASSETS):
            return JSONResponse(
                {"error": "the docs page's assets are not built: run scripts/setup.sh (npm builds them)"},
                status_code=503,
            )
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} - docs",
            swagger_js_url=f"/{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"/{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"/{SWAGGER}/favicon-32x32.png",
        )
