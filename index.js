// Lets plain Node programs `import … from 'switchboard'` without a TypeScript loader of their own: under one
// (the switchboard CLI, `node --import tsx`) the sources are imported as they are, so the app and the worker
// share one copy of every module; otherwise tsx loads them for this import only.
let api;
try {
  api = await import('./index.ts');
} catch (err) {
  if (err?.code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw err;
  const { tsImport } = await import('tsx/esm/api');
  api = await tsImport('./index.ts', import.meta.url);
}

export const {
  Gateway,
  GatewayApi,
  GatewayClient,
  BusinessWorker,
  GatewayServer,
  CloseCode,
  RegisterServer,
  HttpApiServer,
  ErrorCode,
  SwitchboardError,
  hasCode,
  createLogger,
} = api;
