// What every page check here shares: Debian's Chromium headless in a fresh profile (no
// background networking: this machine reaches nothing but loopback), one line per check, and a
// closing RESULT line the Rust tests read.
"use strict";
const { chromium } = require("playwright-core");
const fs = require("fs");
const os = require("os");
const path = require("path");

// Runs `body(page, check)` in a fresh browser, then prints the RESULT line and exits.
async function withPage(body) {
  let failed = 0;
  const check = (ok, what) => {
    console.log(`${ok ? "ok" : "FAILED"}: ${what}`);
    if (!ok) failed++;
  };
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "psa-chromium-"));
  try {
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run",
        "--disable-component-update", "--disable-sync"],
    });
    try {
      await body(browser.pages()[0] || await browser.newPage(), check);
    } finally {
      await browser.close();
    }
  } catch (e) {
    check(false, e.stack || String(e));
  } finally {
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(`RESULT ${failed === 0 ? "ok" : "failed"}: ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

module.exports = { withPage };
