// A jest reporter that ends the run with the plain closing line CI reads to tell a run that
// tested something from one that tested nothing: `jest: N passed, N failed, N skipped`.
// (Jest's own summary, `Tests: N passed, N total`, is not in that form.)
class ClosingLineReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(
      `jest: ${results.numPassedTests} passed, ${results.numFailedTests} failed, ${skipped} skipped\n`,
    );
  }
}

module.exports = ClosingLineReporter;
