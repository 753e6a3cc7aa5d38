import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkRouting,
  DEFAULT_QUERY_TIMEOUT,
  DEFAULT_ROUTING,
  parseGatewayApiOptions,
} from '../../gateway-api/gateway-api-options.ts';

describe('Gateway API options', () => {
  it('defaults queryTimeout and routing', () => {
    assert.deepEqual(parseGatewayApiOptions({}), { queryTimeout: DEFAULT_QUERY_TIMEOUT, routing: DEFAULT_ROUTING });
    assert.deepEqual(parseGatewayApiOptions({ queryTimeout: 250, routing: 'all' }), {
      queryTimeout: 250,
      routing: 'all',
    });
  });

  it('refuses a routing or query timeout that cannot work with SB_ERR_INVALID_OPTION', () => {
    assert.throws(() => checkRouting('some'), { code: 'SB_ERR_INVALID_OPTION' });
    assert.throws(() => parseGatewayApiOptions({ queryTimeout: 0 }), { code: 'SB_ERR_INVALID_OPTION' });
    assert.throws(() => parseGatewayApiOptions({ queryTimeout: 1.5 }), { code: 'SB_ERR_INVALID_OPTION' });
  });
});
