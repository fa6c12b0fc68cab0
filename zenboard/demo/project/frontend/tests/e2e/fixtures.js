// Every test gets its worker's own backend (port and SQLite file), started once per worker by
// zenboard's worker-scoped fixture and stopped at worker teardown.
const path = require('path');
const base = require('@playwright/test');

const fixtures = process.env.ZENBOARD_PLAYWRIGHT_FIXTURES;
if (!fixtures) {
  throw new Error('run this suite through zenboard (`zenboard run e2e`), which sets ZENBOARD_PLAYWRIGHT_FIXTURES');
}
const { isolatedTest } = require(fixtures);

const ROOT = path.resolve(__dirname, '..', '..', '..');
const STATE = path.join(ROOT, '.zenboard', 'e2e');

exports.test = isolatedTest(base.test, {
  readyPath: '/health',
  start: (backend) => ({
    command: process.env.ZENBOARD_PYTHON || 'python3',
    args: ['-m', 'gradebook.web', '--port', String(backend.port),
      '--database', path.join(STATE, `${backend.database}.sqlite3`),
      '--worker', String(backend.slot), '--log', path.join(STATE, 'backend.log')],
    cwd: ROOT,
  }),
});
exports.expect = base.expect;
