"""Screenshots of a running puhui for the README and for review.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 USER PASSWORD OUT_DIR PATH [PATH …]

Each PATH is captured at a desktop (1366×900) and a phone (390×844) viewport.
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-sync",
]
VIEWPORTS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def main(base: str, username: str, password: str, out_dir: str, *paths: str) -> None:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for kind, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport, device_scale_factor=1, locale="zh-CN")
            page = context.new_page()
            page.goto(f"{base}/login/")
            page.screenshot(path=str(out / f"{kind}-login.png"))
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(password)
            page.get_by_role("button", name="登录").click()
            page.wait_for_load_state()
            for path in paths:
                page.goto(base + path)
                name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "home"
                page.screenshot(path=str(out / f"{kind}-{username}-{name}.png"), full_page=True)
            context.close()
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
