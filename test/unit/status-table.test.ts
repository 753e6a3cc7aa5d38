import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatStatus } from '../../cli/status-table.ts';
import type { ProcessStatus } from '../../cli/supervisor.ts';

const worker = (fields: Partial<ProcessStatus>): ProcessStatus => ({
  role: 'business',
  state: 'up',
  index: 0,
  pid: 10,
  uptime: 5,
  rss: 50 * 1024 * 1024,
  inFlight: 0,
  eventsHandled: 4,
  handlerMs: 2,
  oldestEventMs: 0,
  handlerTimeouts: 0,
  ...fields,
});

describe('status table', () => {
  it("shows each worker's oldest running event, its handler timeouts and its state", () => {
    const table = formatStatus([
      worker({ pid: 11, state: 'starting' }),
      worker({ pid: 10, state: 'draining', inFlight: 0, oldestEventMs: 12_400, handlerTimeouts: 1 }),
      worker({ index: 1, pid: 12, inFlight: 2, oldestEventMs: 850 }),
      { role: 'register', state: 'up', index: 0, pid: 9, uptime: 5, rss: null },
    ]);
    const lines = table.trimEnd().split('\n');
    assert.match(lines[0]!, /^ROLE\s+PID\s+UPTIME\s+CONNS\s.*\sIN FLIGHT\s+OLDEST\s+HANDLER ms\s+TIMEOUTS\s+STATE$/);
    const cells = (line: string) => line.split(/\s{2,}/);
    const header = cells(lines[0]!);
    const cell = (row: number, column: string) => cells(lines[row]!)[header.indexOf(column)];
    assert.deepEqual([cell(1, 'PID'), cell(1, 'OLDEST'), cell(1, 'STATE')], ['11', '-', 'starting']);
    assert.deepEqual(
      [cell(2, 'PID'), cell(2, 'OLDEST'), cell(2, 'TIMEOUTS'), cell(2, 'STATE')],
      ['10', '12.4s', '1', 'draining'],
    );
    assert.deepEqual([cell(3, 'IN FLIGHT'), cell(3, 'OLDEST')], ['2', '850ms']);
    assert.deepEqual([cell(4, 'OLDEST'), cell(4, 'TIMEOUTS'), cell(4, 'STATE')], ['-', '-', 'up']);
  });
});
