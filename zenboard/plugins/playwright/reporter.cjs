'use strict';
/**
 * zenboard's Playwright reporter: streams a Playwright run as the same versioned JSON lines the
 * pytest plugin writes (see zenboard/model/events.py), so one model serves both.
 *
 * zenboard adds it next to the project's own reporters (`--add-reporter`), never instead of
 * them. Like the pytest plugin it is inert unless zenboard started this run: zenboard passes the
 * write end of a pipe and its own pid in ZENBOARD_EVENTS=fd:<fd>:<pid>; the reporter writes only
 * when that pid is its parent and the descriptor is a pipe. The variable is then removed, so
 * Playwright's workers and anything the tests start never see it. Only the direct parent counts:
 * a launcher in between (npx: npm's node, then sh) does not pass the pipe on, and the same
 * descriptor number is then one of Node's own pipes, which must never be written to. That is
 * why zenboard starts Playwright's cli.js itself rather than through npx.
 *
 * Lanes are Playwright's stable slots, `pw<parallelIndex>`; after a failure Playwright stops the
 * worker and starts a fresh one (a new workerIndex) in the same slot, which is reported as
 * `worker_replaced` with the lane unchanged. Outcomes use pytest-json-report's words.
 *
 * A failed attempt that Playwright retries (its `retries` setting, or zenboard's `--retries`)
 * is a `test_retried` event, never a result; the last attempt's `test_finished` carries
 * `attempts`, so a test that passes on a retry is flaky, as it is for pytest-rerunfailures.
 */
const fs = require('fs');
const path = require('path');

const ENV_VAR = 'ZENBOARD_EVENTS';
const TEXT_BOUND = 16000;
const COLLECTED_CHUNK = 64 * 1024;
const UNSCHEDULED = 'unscheduled';
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]/g;

function streamFd() {
  const match = /^fd:(\d+):(\d+)$/.exec(process.env[ENV_VAR] || '');
  if (!match) return null;
  const fd = Number(match[1]);
  if (process.ppid !== Number(match[2])) return null;
  try {
    if (!fs.fstatSync(fd).isFIFO()) return null;
  } catch {
    return null;
  }
  return fd;
}

function cut(text) {
  if (text.length <= TEXT_BOUND) return text;
  return `${text.slice(0, TEXT_BOUND)}\n... [${text.length - TEXT_BOUND} more characters in the JSON report]`;
}

function plain(text) {
  return String(text || '').replace(ANSI, '');
}

/** An error as pytest would print it: the message, the code snippet, the stack frames. */
function errorText(error) {
  const message = plain(error.message || error.value || '');
  const frames = plain(error.stack || '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line));
  return [message, plain(error.snippet || ''), frames.join('\n')].filter(Boolean).join('\n\n');
}

class ZenboardReporter {
  constructor() {
    this.fd = streamFd();
    delete process.env[ENV_VAR];
    this.started = Date.now();
    this.rootDir = '';
    this.multiProject = false;
    this.lanes = new Map(); // parallelIndex -> workerIndex
    this.finished = new Set(); // tests whose last attempt was reported
    this.attempts = new Map(); // test id -> [{status, duration, worker, ...}]
    this.lastResult = new Map(); // test id -> [test, result] for tests cut short
    this.failed = 0;
    this.ran = 0;
    this.errors = 0;
  }

  printsToStdio() {
    return false;
  }

  emit(type, fields) {
    if (this.fd === null) return;
    const data = Buffer.from(`${JSON.stringify({ v: 1, type, ...fields })}\n`);
    try {
      let offset = 0;
      while (offset < data.length) offset += fs.writeSync(this.fd, data, offset);
    } catch {
      this.fd = null; // zenboard went away: keep the run going, stop streaming
    }
  }

  nodeid(test) {
    const [, project, , ...titles] = test.titlePath();
    const file = path.relative(this.rootDir, test.location.file).split(path.sep).join('/');
    const id = [file, ...titles].join('::');
    return this.multiProject && project ? `${id}[${project}]` : id;
  }

  lane(result) {
    return result.parallelIndex >= 0 ? `pw${result.parallelIndex}` : UNSCHEDULED;
  }

  onBegin(config, suite) {
    this.rootDir = config.rootDir;
    this.multiProject = config.projects.length > 1;
    this.emit('run_started', { workers_planned: config.workers, rootdir: config.rootDir, pid: process.pid });
    const tests = suite.allTests();
    if (tests.length) this.emit('worker_collected', { worker: 'pw0', count: tests.length });
    // Every collected id, in lines of bounded size: zenboard lists the tests a run never started.
    let chunk = [];
    let size = 0;
    for (const test of tests) {
      const id = this.nodeid(test);
      chunk.push(id);
      size += id.length + 4;
      if (size >= COLLECTED_CHUNK) {
        this.emit('tests_collected', { nodeids: chunk });
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length) this.emit('tests_collected', { nodeids: chunk });
  }

  onTestBegin(test, result) {
    if (result.parallelIndex < 0) return; // skipped without a worker (a static test.skip)
    this.noteWorker(result);
    this.emit('test_started', { nodeid: this.nodeid(test), worker: this.lane(result) });
  }

  noteWorker(result) {
    const lane = this.lane(result);
    const previous = this.lanes.get(result.parallelIndex);
    if (previous === undefined) {
      this.emit('worker_ready', { worker: lane, worker_index: result.workerIndex });
    } else if (previous !== result.workerIndex) {
      this.emit('worker_replaced', {
        worker: lane,
        replacement: lane,
        worker_index: previous,
        replacement_index: result.workerIndex,
      });
    }
    this.lanes.set(result.parallelIndex, result.workerIndex);
  }

  onTestEnd(test, result) {
    const id = test.id;
    const list = this.attempts.get(id) || [];
    list.push({
      status: result.status,
      duration: result.duration / 1000,
      worker: this.lane(result),
      worker_index: result.workerIndex,
      error: result.errors.length ? cut(plain(result.errors[0].message || '')) : '',
    });
    this.attempts.set(id, list);
    const last =
      result.status === 'skipped' || result.status === test.expectedStatus || result.retry >= test.retries;
    if (last) this.finish(test, result);
    else {
      this.lastResult.set(id, [test, result]);
      this.retried(test, result, list.length);
    }
  }

  /** A failed attempt that runs again: its own event, with the attempt's record. */
  retried(test, result, attempt) {
    const record = this.record(test, result);
    this.emit('test_retried', {
      nodeid: record.nodeid,
      worker: this.lane(result),
      attempt,
      duration: result.duration / 1000,
      record: { ...record, outcome: 'failed' },
    });
  }

  finish(test, result) {
    this.finished.add(test.id);
    this.lastResult.delete(test.id);
    const record = this.record(test, result);
    this.ran += 1;
    if (record.outcome === 'failed') this.failed += 1;
    const attempts = this.attempts.get(test.id) || [];
    const duration = attempts.reduce((sum, a) => sum + a.duration, 0);
    this.emit('test_finished', {
      nodeid: record.nodeid,
      worker: this.lane(result),
      outcome: record.outcome,
      duration,
      record,
      attempts: Math.max(1, attempts.length),
    });
  }

  /** The test's record in pytest-json-report's per-test shape, plus Playwright's own facts. */
  record(test, result) {
    const nodeid = this.nodeid(test);
    const attempts = this.attempts.get(test.id) || [];
    const duration = result.duration / 1000;
    const errors = result.errors.map(errorText).join('\n\n');
    let outcome;
    let longrepr = errors;
    if (result.status === 'skipped') outcome = 'skipped';
    else if (test.expectedStatus === 'failed') {
      outcome = result.status === 'failed' ? 'xfailed' : 'failed';
      if (outcome === 'failed' && !longrepr) longrepr = '[XPASS(strict)] test.fail() expected a failure, but the test passed';
    } else outcome = result.status === 'passed' ? 'passed' : 'failed';
    if (outcome === 'failed' && result.status === 'timedOut' && !longrepr) longrepr = 'Test timeout exceeded.';
    const record = {
      nodeid,
      lineno: test.location.line,
      outcome,
      keywords: [...test.titlePath().filter(Boolean), ...test.tags],
      setup: { duration: 0, outcome: outcome === 'skipped' ? 'skipped' : 'passed' },
      playwright: {
        project: test.parent.project() ? test.parent.project().name : '',
        status: result.status,
        expected_status: test.expectedStatus,
        outcome: test.outcome(),
        flaky: test.outcome() === 'flaky',
        retries: attempts.length - 1,
        attempts,
        worker_index: result.workerIndex,
        parallel_index: result.parallelIndex,
      },
      teardown: { duration: 0, outcome: 'passed' },
    };
    if (outcome === 'skipped') {
      const note = test.annotations.find((a) => a.type === 'skip' || a.type === 'fixme');
      record.setup.longrepr = `('${record.nodeid.split('::')[0]}', ${test.location.line}, 'Skipped: ${(note && note.description) || 'skipped'}')`;
      return record;
    }
    const call = { duration, outcome: outcome === 'xfailed' ? 'skipped' : outcome };
    if (outcome === 'failed' || outcome === 'xfailed') {
      const first = result.errors[0];
      const where = (first && first.location) || test.location;
      const message = plain((first && first.message) || longrepr).trim().split('\n')[0] || 'failed';
      call.crash = { path: where.file, lineno: where.line, message: cut(message) };
      call.longrepr = cut(longrepr);
    }
    const stdout = result.stdout.map(String).join('');
    const stderr = result.stderr.map(String).join('');
    if (stdout) call.stdout = cut(stdout);
    if (stderr) call.stderr = cut(stderr);
    record.call = call;
    return record;
  }

  onError(error) {
    this.errors += 1;
    const file = error.location ? error.location.file : '';
    const nodeid = file ? path.relative(this.rootDir || process.cwd(), file).split(path.sep).join('/') : '';
    this.emit('collect_failed', { nodeid, longrepr: cut(errorText(error)) });
  }

  onEnd(result) {
    // Tests whose retry never came (the run was interrupted, or --max-failures was reached).
    for (const [test, last] of this.lastResult.values()) this.finish(test, last);
    this.emit('run_finished', { exitstatus: this.exitStatus(result.status), duration: (Date.now() - this.started) / 1000 });
  }

  /** Playwright's run status in pytest's numbering: 0 ok, 1 failed, 2 interrupted, 3 error, 5 none. */
  exitStatus(status) {
    if (status === 'interrupted' || status === 'timedout') return 2;
    if (this.failed) return 1;
    if (status === 'failed') return this.errors ? 3 : 1;
    return this.ran ? 0 : 5;
  }
}

module.exports = ZenboardReporter;
