import { readFileSync } from 'node:fs';

// Prints the plain closing line CI reads ("N passed, N failed, N skipped") from one or more
// vitest JSON reports, and fails when they executed no test at all.
type Report = { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
const files = process.argv.length > 2 ? process.argv.slice(2) : ['test-results/vitest.json'];
const total = { passed: 0, failed: 0, skipped: 0 };
for (const file of files) {
  const r = JSON.parse(readFileSync(file, 'utf8')) as Report;
  total.passed += r.numPassedTests;
  total.failed += r.numFailedTests;
  total.skipped += r.numPendingTests + r.numTodoTests;
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`);
if (total.passed + total.failed === 0) process.exit(1);
