'use strict';
/**
 * Per-worker isolation for Playwright suites, as a worker-scoped fixture (docs/e2e.md,
 * "Per-worker isolation: the worker fixture").
 *
 * `globalSetup` runs once per run, not per worker, and Playwright has no PLAYWRIGHT_WORKER_INDEX:
 * the worker's slot is `workerInfo.parallelIndex` (TEST_PARALLEL_INDEX). A worker-scoped fixture
 * runs once in every worker, so it is where each worker gets its own database name
 * (`test_e2e_w<slot>`) and backend port, and where it starts (and at teardown stops) its own
 * backend. Ports come from zenboard's port registry through ZENBOARD_E2E_PORTS (one per slot,
 * claimed for the task, so parallel worktrees never share one); without it (a run outside
 * zenboard, or more slots than ports) the OS picks a free port.
 *
 * Usage (a spec's fixtures file):
 *   const base = require('@playwright/test');
 *   const { isolatedTest } = require(process.env.ZENBOARD_PLAYWRIGHT_FIXTURES);
 *   exports.test = isolatedTest(base.test, { start: (b) => ({ command: 'python3',
 *       args: ['-m', 'app', '--port', String(b.port), '--database', b.database]}) });
 * Tests then get `backend` ({ slot, workerIndex, port, database, url }) and a `baseURL` that
 * points at it.
 */
const { spawn } = require('child_process');
const http = require('http');
const net = require('net');

const PORTS_ENV = 'ZENBOARD_E2E_PORTS';
const DEFAULT_PREFIX = 'test_e2e_w';
const READY_TIMEOUT_MS = 15000;
const STOP_GRACE_MS = 3000;

let warned = false;

/** The worker's slot, port (if zenboard claimed one) and database name. */
function workerIdentity(workerInfo, options = {}) {
  const slot = workerInfo.parallelIndex;
  if (process.env.ZENBOARD_E2E_PORTS_ERROR && !warned) {
    warned = true;
    console.warn(`zenboard: no per-worker ports from the registry (${process.env.ZENBOARD_E2E_PORTS_ERROR}); using ports the OS picks`);
  }
  const ports = (process.env[PORTS_ENV] || '').split(',').filter(Boolean).map(Number);
  return {
    slot,
    workerIndex: workerInfo.workerIndex,
    port: Number.isInteger(ports[slot]) && ports[slot] > 0 ? ports[slot] : 0,
    database: `${options.databasePrefix || DEFAULT_PREFIX}${slot}`,
  };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function answers(url) {
  return new Promise((resolve) => {
    const request = http.get(url, (response) => {
      response.resume();
      resolve(response.statusCode !== undefined && response.statusCode < 500);
    });
    request.on('error', () => resolve(false));
    request.setTimeout(1000, () => request.destroy());
  });
}

/** Wait until `url` answers, failing early (with the server's output) if the server exits. */
async function waitReady(url, child, output, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`backend exited (${child.exitCode ?? child.signalCode}) before ${url} answered:\n${output.join('')}`);
    }
    if (await answers(url)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`backend did not answer ${url} within ${timeoutMs} ms:\n${output.join('')}`);
}

/** Stop the backend: SIGTERM, then SIGKILL after a grace period; resolves once it is gone. */
function stop(child) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * `base.extend(...)` with a worker-scoped `backend` and a `baseURL` pointing at it.
 * options.start(backend) -> { command, args, cwd, env } starts the worker's server (none: the
 * fixture only hands out the port and database name); options.readyPath is polled until it
 * answers; options.databasePrefix replaces `test_e2e_w`.
 */
function isolatedTest(baseTest, options = {}) {
  return baseTest.extend({
    backend: [
      async ({}, use, workerInfo) => {
        const backend = workerIdentity(workerInfo, options);
        if (!backend.port) backend.port = await freePort();
        backend.url = `http://127.0.0.1:${backend.port}`;
        let child = null;
        if (options.start) {
          const spec = options.start(backend);
          const output = [];
          child = spawn(spec.command, spec.args || [], {
            cwd: spec.cwd,
            env: {
              ...process.env,
              E2E_PORT: String(backend.port),
              E2E_DATABASE: backend.database,
              E2E_WORKER: String(backend.slot),
              ...(spec.env || {}),
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          for (const stream of [child.stdout, child.stderr]) {
            stream.on('data', (chunk) => {
              if (output.length < 200) output.push(String(chunk));
            });
          }
          try {
            await waitReady(backend.url + (options.readyPath || '/'), child, output, options.readyTimeoutMs || READY_TIMEOUT_MS);
          } catch (error) {
            await stop(child);
            throw error;
          }
        }
        try {
          await use(backend);
        } finally {
          if (child) await stop(child);
        }
      },
      { scope: 'worker', timeout: (options.readyTimeoutMs || READY_TIMEOUT_MS) + STOP_GRACE_MS + 5000 },
    ],
    baseURL: async ({ backend }, use) => {
      await use(backend.url);
    },
  });
}

module.exports = { isolatedTest, workerIdentity, freePort, PORTS_ENV };
