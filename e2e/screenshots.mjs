// Screenshots of the main pages at desktop and phone width, signed in as demo accounts.
// Usage: node screenshots.mjs BASE_URL DATA_DIR  (a server started with `serve --demo`)
import { chromium } from "playwright-core";
import { readFileSync, mkdirSync } from "node:fs";

const [base, dataDir] = process.argv.slice(2);
const accounts = JSON.parse(readFileSync(`${dataDir}/demo-accounts.json`, "utf8"));
const pw = (role) => accounts.find((a) => a.role === role);
mkdirSync("shots", { recursive: true });
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
async function shoot(role, pages, width, height) {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const page = await ctx.newPage();
  const errors = [];
  page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  await page.goto(`${base}/login`);
  await page.fill("#username", pw(role).username);
  await page.fill("#password", pw(role).password);
  await page.click("button[type=submit]");
  await page.waitForURL(`${base}/`);
  for (const [name, path] of pages) {
    await page.goto(`${base}${path}`);
    await page.screenshot({ path: `shots/${role}-${name}-${width}.png`, fullPage: false });
  }
  await ctx.close();
  if (errors.length) { console.error(`${role}: console errors`, errors); process.exitCode = 1; }
}
await shoot("office", [["home", "/"], ["list", "/enterprises"], ["detail", "/enterprises/1"], ["edit", "/enterprises/1/edit"]], 1366, 900);
await shoot("region", [["list", "/enterprises"], ["detail", "/enterprises/1"]], 375, 800);
await shoot("auditor", [["audit", "/audit"]], 1366, 900);
await shoot("sysadmin", [["accounts", "/admin/accounts"]], 1366, 900);
await browser.close();
console.log("screenshots in e2e/shots");
