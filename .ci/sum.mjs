#!/usr/bin/env node
// Sums the CI reports in one folder (default .ci-out): steps.txt (lint, typecheck,
// build: one check each), vitest.json and playwright.json. Prints a breakdown, then
// as the very last line `N passed, N failed, N skipped`. Exits 1 if anything failed,
// including a missing report (a runner that crashed before writing one).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const folder = process.argv[2] ?? '.ci-out';

/** @typedef {{ passed: number, failed: number, skipped: number, note?: string }} Counts */

/** @returns {any} the parsed JSON file, or undefined if it is absent or unreadable */
function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** @returns {Counts} */
function steps() {
  const file = join(folder, 'steps.txt');
  const counts = { passed: 0, failed: 0, skipped: 0 };
  if (!existsSync(file)) return { ...counts, failed: 1, note: `${file} is missing` };
  const failedSteps = [];
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const [name, outcome] = line.split(' ');
    if (outcome === 'passed') counts.passed += 1;
    else {
      counts.failed += 1;
      failedSteps.push(name);
    }
  }
  return failedSteps.length ? { ...counts, note: `failed: ${failedSteps.join(', ')}` } : counts;
}

/** @returns {Counts} */
function vitest() {
  const file = join(folder, 'vitest.json');
  const report = readJson(file);
  if (!report) return { passed: 0, failed: 1, skipped: 0, note: `${file} is missing: vitest did not finish` };
  // A test file that fails to load has no failed test inside it; count the file itself.
  const brokenFiles = (report.testResults ?? []).filter(
    (result) => result.status === 'failed' && !(result.assertionResults ?? []).some((test) => test.status === 'failed'),
  ).length;
  return {
    passed: report.numPassedTests ?? 0,
    failed: (report.numFailedTests ?? 0) + brokenFiles,
    skipped: (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0),
    note: brokenFiles ? `${brokenFiles} test file(s) failed to run` : undefined,
  };
}

/** @returns {Counts} */
function playwright() {
  const file = join(folder, 'playwright.json');
  const report = readJson(file);
  if (!report?.stats) return { passed: 0, failed: 1, skipped: 0, note: `${file} is missing: playwright did not finish` };
  const { expected = 0, unexpected = 0, flaky = 0, skipped = 0 } = report.stats;
  // Errors outside any test (a spec that fails to load, a broken config) fail the run too.
  const globalErrors = (report.errors ?? []).length;
  return {
    passed: expected + flaky,
    failed: unexpected + globalErrors,
    skipped,
    note: globalErrors ? `${globalErrors} error(s) outside tests` : undefined,
  };
}

const parts = { 'lint/typecheck/build': steps(), vitest: vitest(), playwright: playwright() };
const total = { passed: 0, failed: 0, skipped: 0 };
for (const [name, counts] of Object.entries(parts)) {
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
  const note = counts.note ? ` (${counts.note})` : '';
  console.log(`::: ${name}: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped${note}`);
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
process.exitCode = total.failed > 0 ? 1 : 0;
