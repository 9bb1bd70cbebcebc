// Tiny helpers shared by the client scripts: named checks, a summary line the Rust test reads,
// and the mock's admin API over plain HTTP.
'use strict';

let passed = 0;
let failed = 0;

/** Runs one named check; a failure is reported and counted, and the run goes on. */
async function check(name, fn) {
  try {
    await fn();
    passed += 1;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed += 1;
    console.log(`not ok - ${name}`);
    console.log(`  ${(e && e.stack) || JSON.stringify(e)}`.replace(/\n/g, '\n  '));
    if (e && e.data !== undefined) console.log(`  response body: ${JSON.stringify(e.data)}`);
    if (e && e.details !== undefined) console.log(`  response body: ${JSON.stringify(e.details)}`);
  }
}

/** Prints the machine-read result line and sets the exit code. */
function summary(library) {
  console.log(`RESULT ${library}: ${passed} checks passed, ${failed} failed`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}

async function admin(adminUrl, method, path, body) {
  const res = await fetch(`${adminUrl}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`admin ${method} ${path}: HTTP ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Awaits a promise that must reject, and returns what it rejected with. */
async function expectReject(promise) {
  try {
    const value = await promise;
    throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('expected a rejection')) throw e;
    return e;
  }
}

module.exports = { check, summary, admin, expectReject };
