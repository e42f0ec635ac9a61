// Prints the one-line summary CI reads ("tests: N passed, N failed, N skipped") from Jest's
// JSON results, and fails when a test failed, a suite could not run, or nothing ran at all.
import { readFileSync, existsSync } from 'node:fs';

const file = process.argv[2] ?? '.jest-results.json';
if (!existsSync(file)) {
  console.error(`no Jest results at ${file}: Jest did not finish (see the output above)`);
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8')) as {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
  numRuntimeErrorTestSuites: number;
  testResults: { name: string; status: string; message: string }[];
};
for (const suite of r.testResults.filter((s) => s.status === 'failed')) {
  console.error(`FAILED ${suite.name}`);
}
console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
const broken = r.numFailedTests > 0 || r.numFailedTestSuites > 0 || r.numRuntimeErrorTestSuites > 0 || r.numPassedTests === 0;
if (broken) {
  if (r.numFailedTestSuites > 0 && r.numFailedTests === 0) console.error(`${r.numFailedTestSuites} test suite(s) failed to run`);
  if (r.numPassedTests === 0) console.error('no test passed');
  process.exit(1);
}
