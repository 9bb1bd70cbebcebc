// Opens a running mock's live page (/__admin/ui) in headless Chromium and checks what a person
// sees while a client talks to the mock: the records, the journal growing, the faults, the clock.
// Usage: node admin-ui.js ORIGIN SCREENSHOT.png '{"auth": "Basic ...", "clientId": "..", "api": "/v4_6_release/apis/3.0"}'
// Prints one line per check; exits 1 when any check fails.
"use strict";
const { withPage } = require("./session");

const [origin, shot, optsJson] = process.argv.slice(2);
const opts = JSON.parse(optsJson);
// The client whose requests the page must show (ConnectWise credentials from the test).
const call = (p) => fetch(origin + opts.api + p, {
  headers: { authorization: opts.auth, clientId: opts.clientId },
}).then((r) => r.status);

withPage(async (page, check) => {
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const outside = [];
  page.on("request", (r) => { if (!r.url().startsWith(origin + "/__admin/")) outside.push(r.url()); });
  await page.goto(origin + "/__admin/ui");
  const companies = page.locator('[data-kind="companies"] tbody');
  await companies.waitFor();
  check((await companies.innerText()).includes("Acme Widgets"), "the seeded company is in the companies table");
  check((await page.locator('[data-kind="contacts"] tbody').innerText()).includes("Zoe"),
    "the seeded contact is in the contacts table");
  check(await page.locator("#clock").innerText() === "2024-06-01T00:00:00Z", "the header shows the virtual clock");
  check((await page.locator("#title").innerText()).includes("ConnectWise"), "the header names the PSA");
  // No admin token on this mock: the page offers no change at all, only its three tabs.
  check((await page.locator("#access").innerText()).includes("read-only"), "the header says the page is read-only");
  check(await page.locator("button:visible, input[type=file]:visible, textarea:visible").count() === 3,
    "no write control is offered, only the three tabs");

  await page.click("nav button[data-tab=journal]");
  const rows = page.locator("#journal tbody tr");
  await page.waitForFunction(() => document.querySelectorAll("#journal tbody tr").length === 1);
  const first = await rows.first().innerText();
  check(/GET/.test(first) && first.includes("/company/companies") && /\b200\b/.test(first),
    `the request made before the page opened is listed (${first.replace(/\s+/g, " ")})`);

  // While the page is open: two more requests and a clock move.
  check(await call("/company/contacts") === 200, "a client lists contacts");
  check(await call("/company/companies/999999") === 404, "a client asks for an unknown company");
  await fetch(origin + "/__admin/clock", { method: "POST", body: JSON.stringify({ advance: 3600 }),
    headers: { "content-type": "application/json" } });
  await page.waitForFunction(() => document.querySelectorAll("#journal tbody tr").length === 3, null, { timeout: 10000 })
    .then(() => check(true, "the journal grows to 3 rows without a reload"),
      () => check(false, "the journal grows to 3 rows without a reload"));
  check(/\b404\b/.test(await rows.last().innerText()), "the newest row shows the 404");
  await page.waitForFunction(() => document.querySelector("#clock").textContent === "2024-06-01T01:00:00Z", null, { timeout: 10000 })
    .then(() => check(true, "the clock follows the virtual clock"),
      () => check(false, "the clock follows the virtual clock"));
  await page.fill("#journal-filter", "404");
  check(await rows.count() === 1, "the journal filter keeps the matching row");

  await page.click("nav button[data-tab=faults]");
  const faults = page.locator("#faults tbody");
  await faults.waitFor();
  const faultText = await faults.innerText();
  check(faultText.includes("*/company/contacts") && faultText.includes("503"), "the fault rule is listed");

  await page.click("nav button[data-tab=state]");
  await page.screenshot({ path: shot, fullPage: true });
  check(errors.length === 0, `no script errors ${errors.join("; ")}`);
  check(outside.length === 0, `the page reads only the admin API ${outside.join(" ")}`);
});
