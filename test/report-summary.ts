import { readFileSync } from 'node:fs';

// Prints the plain closing line CI reads ("N passed, N failed, N skipped") from the
// vitest JSON report, and fails when the run executed no test at all.
const file = process.argv[2] ?? 'test-results/vitest.json';
const report = JSON.parse(readFileSync(file, 'utf8')) as { numPassedTests: number; numFailedTests: number; numPendingTests: number; numTodoTests: number };
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${report.numPassedTests} passed, ${report.numFailedTests} failed, ${skipped} skipped`);
if (report.numPassedTests + report.numFailedTests === 0) process.exit(1);
