// The live page of a mock started with an admin token: nothing to see or change without the
// token, a wrong one refused in plain words, and with the right one changes made from the page
// (clock, fault rules, a seed file, reset) that show up in its tables.
// Usage: node admin-ui-writes.js ORIGIN SCREENSHOT.png '{"token": "..."}'
// Prints one line per check; exits 1 when any check fails.
"use strict";
const { withPage } = require("./session");

const [origin, shot, optsJson] = process.argv.slice(2);
const { token } = JSON.parse(optsJson);

withPage(async (page, check) => {
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  const outside = [];
  page.on("request", (r) => { if (!r.url().startsWith(origin + "/__admin/")) outside.push(r.url()); });
  const text = (sel) => page.locator(sel).innerText();
  const waitText = (sel, re, what) => page.waitForFunction(([s, src]) => {
    const e = document.querySelector(s);
    return e && new RegExp(src).test(e.textContent);
  }, [sel, re.source], { timeout: 10000 }).then(() => check(true, what), async () =>
    check(false, `${what} (${sel}: ${await page.locator(sel).textContent().catch(() => "absent")})`));
  const changesTab = page.locator("nav button[data-tab=changes]");
  const useToken = async (t) => { await page.fill("#token", t); await page.click("#token-form button"); };

  const page200 = await page.goto(origin + "/__admin/ui");
  check(page200.status() === 200, `the page loads without the token (${page200.status()})`);
  await waitText("#access", /requires its admin token/, "without a token the page asks for it");
  check(await page.locator("[data-kind]").count() === 0, "without a token no state is shown");
  check(!(await changesTab.isVisible()), "without a token no change is offered");

  await useToken("not-the-token");
  await waitText("#access", /refused this token \(wrong admin token\)/, "a wrong token is refused in plain words");
  check(!(await changesTab.isVisible()), "with a wrong token no change is offered");
  check(await page.locator("[data-kind]").count() === 0, "with a wrong token no state is shown");
  const forged = await page.evaluate(() => fetch("/__admin/reset",
    { method: "POST", headers: { authorization: "Bearer not-the-token" } }).then(async (r) => [r.status, await r.text()]));
  check(forged[0] === 401 && forged[1].includes("wrong admin token"),
    `a reset sent from the page with the wrong token is refused (${forged.join(" ")})`);

  await useToken(token);
  await waitText('[data-kind="companies"] tbody', /Acme Widgets/, "with the token the seeded company is shown (the refused reset changed nothing)");
  check((await text("#access")).includes("accepted"), "the header says the token was accepted");
  check(await page.inputValue("#token") === "", "the token is not left in the field");
  check(await changesTab.isVisible(), "with the token the Changes tab is offered");
  await changesTab.click();

  await page.fill("#advance-seconds", "7200");
  await page.click("#advance");
  await waitText("#change-result", /^clock advanced by 7200 s$/, "advancing the clock is confirmed");
  await waitText("#clock", /^2024-06-01T02:00:00Z$/, "the header shows the advanced clock");

  await page.fill("#fault-rule", '{"method": "POST", "path": "*/company/contacts", "status": 503}');
  await page.click("#add-fault");
  await waitText("#change-result", /^fault rule added$/, "adding a fault rule is confirmed");
  await page.fill("#fault-rule", '{"status": 503}');
  await page.click("#add-fault");
  await waitText("#change-result", /^refused \(400\): fault rule: .*path/, "a fault rule without a path is refused with the API's reason");

  await page.setInputFiles("#seed-file", { name: "beta.yaml", mimeType: "application/yaml",
    buffer: Buffer.from("companies: [{name: Beta Corp, type: Customer, status: Active}]\n") });
  await page.waitForFunction(() => document.querySelector("#seed-text").value.includes("Beta Corp"));
  await page.click("#seed");
  await waitText("#change-result", /^seeded$/, "a seed file loaded in the page is applied");
  await page.screenshot({ path: shot, fullPage: true });

  await page.click("nav button[data-tab=faults]");
  await waitText("#faults tbody", /\*\/company\/contacts/, "the added fault rule is listed");
  await page.click("#faults button[data-remove]");
  await waitText("#faults", /^no fault rules$/, "removing the fault rule empties the list");

  await page.click("nav button[data-tab=state]");
  await waitText('[data-kind="companies"] tbody', /Beta Corp/, "the seeded company shows up in the companies table");
  await changesTab.click();
  page.once("dialog", (d) => d.accept());
  await page.click("#reset");
  await waitText("#change-result", /^reset$/, "the reset is confirmed");
  await page.click("nav button[data-tab=state]");
  await page.waitForFunction(() => !/Acme Widgets|Beta Corp/.test(document.querySelector("#state").textContent), null, { timeout: 10000 })
    .then(() => check(true, "after the reset neither company is shown"), () => check(false, "after the reset neither company is shown"));

  await page.reload();
  await waitText("#access", /accepted/, "after a reload the token of this tab is used again");
  check(await changesTab.isVisible(), "after a reload the Changes tab is offered again");
  await page.waitForSelector('[data-kind="companies"]');
  await useToken("not-the-token");
  await waitText("#access", /refused this token/, "a wrong token entered later is refused too");
  check(await page.locator("[data-kind]").count() === 0 && !(await changesTab.isVisible()),
    "and nothing shown with the right token stays on screen");
  check(errors.length === 0, `no script errors ${errors.join("; ")}`);
  check(outside.length === 0, `the page talks only to the admin API ${outside.join(" ")}`);
});
