// Loads a `psa-harness --html` report in headless Chromium and checks what a person sees.
// Usage: node html-report.js REPORT.html SCREENSHOT.png '{"failCase":..,"failPsa":..,"passed":N,"failed":N,"skipped":N}'
// Prints one line per check; exits 1 when any check fails.
"use strict";
const path = require("path");
const { withPage } = require("./session");

const [report, shot, expectJson] = process.argv.slice(2);
const want = JSON.parse(expectJson);

withPage(async (page, check) => {
  const outside = [];
  page.on("request", r => { if (!r.url().startsWith("file:")) outside.push(r.url()); });
  const errors = [];
  page.on("pageerror", e => errors.push(String(e)));
  await page.goto("file://" + path.resolve(report));
  await page.screenshot({ path: shot, fullPage: true });

  check(errors.length === 0, `no script errors ${errors.join("; ")}`);
  check(outside.length === 0, `self-contained: no request leaves the file ${outside.join(" ")}`);
  const totals = await page.locator("#totals").innerText();
  const line = `${want.passed} passed, ${want.failed} failed, ${want.skipped} skipped`;
  check(totals === line, `totals read "${line}" (got "${totals}")`);

  const rows = await page.locator("#matrix tr[data-rule]").count();
  check(rows === want.rules, `matrix has a row per catalogue rule: ${rows} of ${want.rules}`);
  const failCell = page.locator(`#matrix tr[data-rule="${want.failRule}"] td[data-psa="${want.failPsa}"]`);
  check(await failCell.isVisible() && (await failCell.innerText()) === "FAIL",
    `${want.failRule} on ${want.failPsa} shows FAIL`);
  const passCells = await page.locator("#matrix td.cell.pass").count();
  check(passCells > 0, `matrix shows passing cells (${passCells})`);

  // Failures first: the failing case is listed alone and its detail is open.
  const visibleRows = async () => page.locator("#cases tr.row").count();
  check(await visibleRows() === want.failed, `opens on the ${want.failed} failing case(s)`);
  const detail = page.locator("#detail");
  check(await detail.isVisible(), "the first failure's detail is shown");
  check((await detail.locator("h2").innerText()).includes(`${want.failCase} on ${want.failPsa}`),
    "detail names the failing case and PSA");
  const del = detail.locator("pre.diff span.del");
  const add = detail.locator("pre.diff span.add");
  check(await del.count() > 0 && await add.count() > 0 && await add.first().isVisible(),
    "the golden diff shows removed and added lines");
  check((await detail.locator("pre.diff").innerText()).includes(want.diffText),
    `the diff holds "${want.diffText}"`);
  const reqs = await detail.locator("ol.timeline li:not(.axis)").count();
  check(reqs === want.requests, `timeline shows every request: ${reqs} of ${want.requests}`);
  const dots = await detail.locator("ol.timeline .dot").count();
  check(dots === reqs, "each request has a mark on the timeline");

  // Filters.
  await page.click('#filters button[data-status="all"]');
  check(await visibleRows() === want.passed + want.failed + want.skipped, "`all` lists every case");
  await page.click('#filters button[data-status="pass"]');
  check(await visibleRows() === want.passed, "`PASS` lists the passing cases");
  await page.click('#filters button[data-status="all"]');
  await page.selectOption("#psa", want.failPsa);
  const onePsa = await page.locator("#cases tr.row").allInnerTexts();
  check(onePsa.length > 0 && onePsa.every(t => t.includes(want.failPsa)), "the PSA filter keeps one PSA");
  await page.selectOption("#psa", "");
  await page.fill("#search", "no-such-case-anywhere");
  check(await visibleRows() === 0, "a search that matches nothing lists nothing");
  await page.fill("#search", want.failCase);
  check(await visibleRows() >= 1, "searching the failing case's name finds it");

  // Opening a passing case replaces the detail.
  await page.fill("#search", "");
  await page.click('#filters button[data-status="pass"]');
  await page.locator("#cases tr.row").first().click();
  check((await detail.locator("h2").innerText()).endsWith("PASS"), "clicking a case opens it");
});
