"use strict";
const data = JSON.parse(document.getElementById("data").textContent);
const el = (tag, attrs, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
};
const word = { pass: "pass", fail: "FAIL", uncovered: "uncovered", "n/a": "-",
  not_declared: "not declared", not_run: "not run" };
const statusWord = { pass: "PASS", fail: "FAIL", blessed: "BLESSED", not_applicable: "N/A" };

const t = data.totals;
document.getElementById("totals").textContent =
  `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;

// The rules x PSAs matrix.
const matrix = document.getElementById("matrix");
matrix.append(el("tr", {}, el("th", { text: "rule" }), el("th", { text: "group" }),
  ...data.psas.map(p => el("th", { text: p }))));
for (const r of data.rules) {
  const tr = el("tr", { "data-rule": r.id }, el("th", { text: r.id, title: r.title }),
    el("td", { text: r.group }));
  if (r.status === "out_of_scope") {
    tr.append(el("td", { class: "cell na", colspan: data.psas.length, text: "out of scope" }));
  } else {
    for (const p of data.psas) {
      const c = r.psas[p];
      tr.append(el("td", { class: "cell " + (c === "n/a" ? "na" : c), "data-psa": p,
        title: c === "n/a" ? "does not apply to this PSA" :
          c === "not_declared" ? "not declared by your connector" : c, text: word[c] || c }));
    }
  }
  matrix.append(tr);
}

// The vendor summary, when a connector was under test.
if (data.vendor) {
  const box = document.getElementById("vendor");
  const tbl = el("table", { id: "vendor-summary" }, el("tr", {},
    ...["PSA", "declared", "passing", "failing", "not declared"].map(h => el("th", { text: h }))));
  for (const [psa, v] of Object.entries(data.vendor)) {
    tbl.append(el("tr", { "data-psa": psa }, el("td", { text: psa }),
      el("td", { text: v.declared.length }), el("td", { class: "pass", text: v.passing.length }),
      el("td", { class: v.failing.length ? "fail" : "", text: v.failing.length }),
      el("td", { class: "not_declared", text: v.not_declared.length })));
  }
  box.append(el("p", { text: "Your connector:" }), tbl);
}

// Cases, with filters by status, PSA and name.
const cases = document.getElementById("cases");
const filters = document.getElementById("filters");
let shown = "all";
const search = el("input", { type: "search", id: "search", placeholder: "case name or rule" });
const psaPick = el("select", { id: "psa" }, el("option", { value: "", text: "every PSA" }),
  ...data.psas.map(p => el("option", { value: p, text: p })));
const buttons = ["all", "fail", "pass", "not_applicable"].map(s => {
  const n = s === "all" ? data.cases.length : data.cases.filter(c => c.status === s ||
    (s === "pass" && c.status === "blessed")).length;
  const b = el("button", { "data-status": s, text: `${s === "all" ? "all" : statusWord[s]} (${n})` });
  b.onclick = () => { shown = s; draw(); };
  return b;
});
filters.append(...buttons, psaPick, search);
search.oninput = psaPick.onchange = () => draw();

function draw() {
  for (const b of buttons) b.classList.toggle("on", b.dataset.status === shown);
  const q = search.value.trim().toLowerCase();
  cases.replaceChildren(el("tr", {}, ...["status", "PSA", "time", "case", "rules"]
    .map(h => el("th", { text: h }))));
  for (const [i, c] of data.cases.entries()) {
    const st = c.status === "blessed" ? "pass" : c.status;
    if (shown !== "all" && st !== shown) continue;
    if (psaPick.value && c.psa !== psaPick.value) continue;
    if (q && !c.case.toLowerCase().includes(q) && !c.rules.some(r => r.toLowerCase() === q)) continue;
    const tr = el("tr", { class: "row", "data-index": i, "data-status": c.status },
      el("td", { class: c.status, text: statusWord[c.status] }), el("td", { text: c.psa }),
      el("td", { text: (c.millis / 1000).toFixed(3) + " s" }),
      el("td", { class: "name", text: c.case }), el("td", { text: c.rules.join(", ") }));
    tr.onclick = () => detail(c);
    cases.append(tr);
  }
}

// A request's virtual time and step, when the outcome carries them; otherwise its order.
const when = r => {
  const v = r.at ?? r.time ?? r.virtual_time;
  if (typeof v === "number") return v;
  if (typeof v === "string") { const ms = Date.parse(v); return isNaN(ms) ? null : ms / 1000; }
  return null;
};

function timeline(c) {
  const reqs = c.requests || [];
  const times = reqs.map(when);
  const timed = times.length > 0 && times.every(x => x !== null);
  const xs = timed ? times : reqs.map((_, i) => i);
  const lo = Math.min(...xs), hi = Math.max(...xs), span = hi - lo || 1;
  const list = el("ol", { class: "timeline" });
  list.append(el("li", { class: "axis" }, el("span", { text: timed ? "virtual time" : "order" }),
    el("span", { text: "step" }), el("span", { text: "request" }), el("span", { text: "status" })));
  reqs.forEach((r, i) => {
    const track = el("span", { class: "track" }, el("span", { class: "dot",
      style: `left: calc(${((xs[i] - lo) / span * 100).toFixed(2)}% - 5px)` }));
    const label = timed ? `+${(xs[i] - lo).toFixed(0)} s` : `#${i + 1}`;
    const li = el("li", { class: Number(r.status) >= 400 ? "err" : "" },
      el("span", { text: label }), el("span", { text: r.step ?? "" }),
      el("span", {}, el("div", { class: "req", text: r.request, title: r.request }), track),
      el("span", { text: r.status ?? "" }));
    list.append(li);
  });
  return [el("h3", { text: `Requests (${reqs.length})` }), list];
}

function detail(c, scroll = true) {
  const box = document.getElementById("detail");
  box.hidden = false;
  box.replaceChildren(el("h2", { text: `${c.case} on ${c.psa}: ${statusWord[c.status]}` }));
  if (c.rules.length) box.append(el("p", { text: "rules " + c.rules.join(", ") }));
  if (c.not_applicable) box.append(el("p", { text: c.not_applicable }));
  if (c.failures.length) box.append(el("ul", { class: "failures" },
    ...c.failures.map(f => el("li", { text: f }))));
  if (c.diff) {
    const pre = el("pre", { class: "diff" });
    for (const line of c.diff.split("\n")) {
      pre.append(el("span", { class: line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : "",
        text: line + "\n" }));
    }
    box.append(el("h3", { text: "Golden diff" }), pre);
  }
  if (c.actions.length) box.append(el("h3", { text: "Steps" }),
    el("ol", { class: "steps" }, ...c.actions.map(a => el("li", { text: a }))));
  if (c.requests.length) box.append(...timeline(c));
  if (c.log.length) box.append(el("h3", { text: "Sync log" }), el("pre", { text: c.log.join("\n") }));
  if (c.stderr) box.append(el("h3", { text: "Connector stderr" }), el("pre", { text: c.stderr }));
  if (scroll) box.scrollIntoView();
}

shown = data.cases.some(c => c.status === "fail") ? "fail" : "all";
draw();
const firstFail = data.cases.find(c => c.status === "fail");
if (firstFail) detail(firstFail, false);
