"""The app of the split-origin deployment: a page and the lessons API on ``app.<domain>``.

The page signs in through the auth server's hosted login on ``auth.<domain>`` (the seeds'
"best of both": cookies for the parent domain), then reads the lessons from its own origin
with the access cookie, asks the auth server who is signed in (CORS with credentials) and
signs out there with the XSRF header. Run as ``python -m tests.e2e.deploy.app_site``.
"""

from __future__ import annotations

import argparse
import html
import sys
from pathlib import Path

from fastapi.responses import HTMLResponse

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "examples"))

from lessons_api import create_lessons_app

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lessons app</title></head>
<body>
<h1>Lessons app</h1>
<p id="me">…</p>
<p id="lessons">…</p>
<a id="sign-in" href="{auth}/login?return_to={app}/">Sign in</a>
<button id="sign-out" type="button">Sign out</button>
<script>
const AUTH = "{auth}";
function xsrf() {{
  const found = document.cookie.split("; ").find((c) => c.startsWith("XSRF-TOKEN="));
  return found ? decodeURIComponent(found.slice("XSRF-TOKEN=".length)) : "";
}}
async function load() {{
  const me = await fetch(AUTH + "/api/auth/me", {{ credentials: "include" }});
  document.getElementById("me").textContent =
    me.ok ? "signed in as " + (await me.json()).email : "signed out (" + me.status + ")";
  const lessons = await fetch("/api/lessons");
  document.getElementById("lessons").textContent = lessons.ok
    ? (await lessons.json()).length + " lessons"
    : "lessons refused (" + lessons.status + ")";
}}
document.getElementById("sign-out").addEventListener("click", async () => {{
  await fetch(AUTH + "/api/auth/logout", {{
    method: "POST", credentials: "include", headers: {{ "X-XSRF-TOKEN": xsrf() }},
  }});
  await load();
}});
load();
</script>
</body></html>
"""


def main() -> None:
    """Serve the page and the lessons API with uvicorn."""
    import uvicorn

    parser = argparse.ArgumentParser()
    parser.add_argument("--auth-url", required=True, help="the auth server as browsers see it")
    parser.add_argument("--app-url", required=True, help="this app as browsers see it")
    parser.add_argument("--jwks-url", required=True, help="the auth server's JWKS, internally")
    parser.add_argument("--audience", required=True)
    parser.add_argument("--cookie-name", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_lessons_app(
        jwks_url=args.jwks_url,
        issuer=args.auth_url,
        audience=args.audience,
        cookie_name=args.cookie_name,
    )
    page = PAGE.format(auth=html.escape(args.auth_url), app=html.escape(args.app_url))

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        return page

    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
