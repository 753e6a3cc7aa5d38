/** WebSocket close codes the gateway uses (docs/errors.md, "Close codes a client may see"). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  PolicyViolation: 1008,
  /** Service restart: the gateway drains; reconnect (to another gateway) now. */
  ServiceRestart: 1012,
  TooLarge: 1009,
  TryAgainLater: 1013,
  SlowConsumer: 4008,
} as const;
