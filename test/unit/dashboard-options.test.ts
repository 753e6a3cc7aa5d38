// The dashboard flags of `switchboard start`: on by default on loopback, off with --no-dashboard, refused off
// loopback without a token.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DASHBOARD_LISTEN, parseDashboardOptions } from '../../dashboard/dashboard-options.ts';
import { ErrorCode, hasCode } from '../../shared/errors.ts';

describe('parseDashboardOptions', () => {
  it('serves on 127.0.0.1:7271 by default, marked as not given', () => {
    assert.equal(DEFAULT_DASHBOARD_LISTEN, '127.0.0.1:7271');
    assert.deepEqual(parseDashboardOptions({}), {
      listen: { host: '127.0.0.1', port: 7271 },
      explicit: false,
      token: null,
    });
  });

  it('is off with --no-dashboard', () => {
    assert.equal(parseDashboardOptions({ dashboard: false }), null);
  });

  it('takes an address given, loopback ones with no token', () => {
    assert.deepEqual(parseDashboardOptions({ dashboard: '[::1]:0' }), {
      listen: { host: '::1', port: 0 },
      explicit: true,
      token: null,
    });
  });

  it('refuses an address other hosts can reach without a token', () => {
    for (const dashboard of ['0.0.0.0:7271', '10.0.0.5:7271', '[::]:7271']) {
      assert.throws(
        () => parseDashboardOptions({ dashboard }),
        (err) => hasCode(err, ErrorCode.DashboardTokenRequired),
        dashboard,
      );
    }
    assert.deepEqual(parseDashboardOptions({ dashboard: '0.0.0.0:7271', dashboardToken: 't0ken' }), {
      listen: { host: '0.0.0.0', port: 7271 },
      explicit: true,
      token: 't0ken',
    });
  });

  it('rejects a malformed address with SB_ERR_INVALID_OPTION', () => {
    assert.throws(
      () => parseDashboardOptions({ dashboard: 'nowhere' }),
      (err) => hasCode(err, ErrorCode.InvalidOption),
    );
  });
});
