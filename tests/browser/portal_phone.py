"""The 企业之家 portal on a phone, in real Chromium (Debian's, through Playwright).

Called by the web crate's `browser` test with the server's base URL, an enterprise
account and its password. At 375×812 it signs in, checks the page does not scroll
sideways, raises a problem through the form with a photo, and checks the success
message and the problem page. Exits non-zero with a message on any failure.
"""

import sys
import tempfile
import pathlib

from playwright.sync_api import sync_playwright

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def fail(msg: str) -> None:
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def no_sideways_scroll(page, where: str) -> None:
    w = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if w[0] > w[1] + 1:
        fail(f"{where}: the page is {w[0]} px wide on a {w[1]} px screen")


def main() -> None:
    base, user, password = sys.argv[1], sys.argv[2], sys.argv[3]
    shots = pathlib.Path(sys.argv[4]) if len(sys.argv) > 4 else pathlib.Path(tempfile.mkdtemp())
    photo = shots / "现场照片.png"
    photo.write_bytes(PNG)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        ctx = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
        page = ctx.new_page()
        page.goto(f"{base}/login")
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", password)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto(f"{base}/portal")
        if "企业之家" not in page.title():
            fail(f"portal title is {page.title()!r}")
        no_sideways_scroll(page, "portal")
        # The form's submit button is reachable and wide enough to tap.
        box = page.locator("#raise button[type=submit]").bounding_box()
        if box is None or box["width"] < 200:
            fail(f"submit button too small on a phone: {box}")
        page.select_option("#p-cat", "energy")
        page.fill("#p-title", "园区供电线路频繁跳闸")
        page.fill("#p-desc", "近一个月园区 10 千伏线路跳闸 4 次，生产线停机，请协调供电公司排查。")
        page.fill("#p-contact", "李经理 13900000000")
        page.set_input_files("#p-file", str(photo))
        page.screenshot(path=str(shots / "portal-form.png"), full_page=True)
        with page.expect_navigation():
            page.click("#raise button[type=submit]")
        body = page.inner_text("body")
        if "已受理登记" not in body:
            fail(f"no success message after submitting: {body[:400]}")
        if "园区供电线路频繁跳闸" not in body or "现场照片.png" not in body:
            fail("the problem page does not show the problem and its photo")
        no_sideways_scroll(page, "problem page")
        page.screenshot(path=str(shots / "problem-page.png"), full_page=True)
        browser.close()
    print("ok")


if __name__ == "__main__":
    main()
